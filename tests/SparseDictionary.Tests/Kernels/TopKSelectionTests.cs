using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

public class TopKSelectionTests
{
    /// <summary>Reference: sort all (value desc, index asc), take k, list them by index.</summary>
    /// <summary>Selects on <paramref name="path"/> and asserts the count min(k, n), the indices and the values of <see cref="Reference"/>.</summary>
    private static void SelectMatchesReference(float[] values, int k, KernelPath path, string because)
    {
        var indices = new int[k];
        var selected = new float[k];
        var count = TopKSelection.Select(values, k, indices, selected, path);
        var (refIndices, refValues) = Reference(values, k);
        count.Should().Be(Math.Min(k, values.Length), because);
        indices[..count].Should().Equal(refIndices, because);
        selected[..count].Should().Equal(refValues, because);
    }

    private static (int[] Indices, float[] Values) Reference(float[] values, int k)
    {
        var order = Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ThenBy(i => i).Take(k).Order().ToArray();
        return (order, order.Select(i => values[i]).ToArray());
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Select_MatchesSortReference_OverAwkwardLengths(KernelPath path)
    {
        using var _ = KernelPaths.Force(path);
        foreach (var n in TestData.AwkwardLengths)
        {
            foreach (var k in new[] { 1, 2, 7, 32, 36, n, n + 3 })
            {
                if (k < 1)
                {
                    continue;
                }

                // Rounded values create many ties, which the order must break toward the lower index.
                var values = TestData.Gaussian(n, (n * 31) + k).Select(v => MathF.Round(v * 4) / 4).ToArray();
                SelectMatchesReference(values, k, path, $"n = {n}, k = {k}, path = {path}");
            }
        }
    }

    [Fact]
    public void SelectFromSubset_OnlyConsidersTheSubset()
    {
        var values = TestData.Gaussian(300, 5);
        var subset = Enumerable.Range(0, 300).Where(i => i % 3 == 1).ToArray();
        var indices = new int[10];
        var selected = new float[10];
        var count = TopKSelection.SelectFromSubset(values, subset, 10, indices, selected);
        var expected = subset.OrderByDescending(i => values[i]).ThenBy(i => i).Take(10).ToArray();
        count.Should().Be(10);
        indices.Should().Equal(expected);
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Select_RanksNaNBelowEveryNumber(KernelPath path)
    {
        var values = new[] { float.NaN, 1f, float.NaN, -3f, 2f, 0f, 0f, 0f, 0f, 0f, 0f, 0f };
        var indices = new int[3];
        var selected = new float[3];
        TopKSelection.Select(values, 3, indices, selected, path);
        indices.Should().Equal(1, 4, 5);
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Select_IsExactOnConsecutiveRows_WhateverTheThresholdHint(KernelPath path)
    {
        // Rows drawn from drifting distributions (shifted, rescaled, with plateaus of ties) so that the hint carried
        // from row to row is sometimes right, sometimes too low (too many candidates), sometimes too high (too few).
        foreach (var (n, k) in new[] { (512, 36), (3072, 32), (100, 99), (37, 5) })
        {
            for (var row = 0; row < 300; row++)
            {
                var shift = (float)Math.Sin(row / 7.0) * 3;
                var scale = 1 + (row % 13);
                var values = TestData.Gaussian(n, (row * 7919) + n).Select(v => (shift + v) * scale).ToArray();
                if (row % 5 == 0)
                {
                    for (var i = 0; i < n; i += 3)
                    {
                        values[i] = MathF.Round(values[i]);
                    }
                }

                SelectMatchesReference(values, k, path, $"n = {n}, k = {k}, row {row}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Select_IsExactOnSpecialValues(KernelPath path)
    {
        // Infinities, signed zeros, NaN, constant rows and rows of a few distinct values, consecutively on one thread
        // (so the hint of one row meets the next), at widths around the vector width and the SAE widths.
        var random = new Random(11);
        foreach (var n in new[] { 9, 16, 17, 63, 257, 512, 3072 })
        {
            for (var row = 0; row < 40; row++)
            {
                var values = TestData.Gaussian(n, (row * 131) + n, scale: row % 3 == 0 ? 1e-30f : (row % 3 == 1 ? 1f : 1e30f));
                for (var i = 0; i < n; i++)
                {
                    switch ((row + random.Next(8)) % 8)
                    {
                        case 0 when row % 4 == 0:
                            values[i] = float.PositiveInfinity;
                            break;
                        case 1:
                            values[i] = float.NegativeInfinity;
                            break;
                        case 2:
                            values[i] = row % 2 == 0 ? -0f : 0f;
                            break;
                        case 3 when row % 5 == 0:
                            values[i] = float.NaN;
                            break;
                        case 4 when row % 6 == 0:
                            values[i] = 3f;
                            break;
                        default:
                            break;
                    }
                }

                if (row % 7 == 0)
                {
                    Array.Fill(values, row % 2 == 0 ? 1.5f : -0f);
                }

                foreach (var k in new[] { 1, 8, 36, n - 1 })
                {
                    var indices = new int[k];
                    var selected = new float[k];
                    var count = TopKSelection.Select(values, k, indices, selected, path);
                    var numbers = values.Where(v => !float.IsNaN(v)).ToArray();
                    var order = Enumerable.Range(0, n).Where(i => !float.IsNaN(values[i]))
                        .OrderByDescending(i => values[i]).ThenBy(i => i).Take(k).Order().ToArray();
                    count.Should().Be(Math.Min(k, numbers.Length), $"n = {n}, k = {k}, row {row}");
                    indices[..count].Should().Equal(order, $"n = {n}, k = {k}, row {row}, path = {path}");
                    selected[..count].Should().Equal(order.Select(i => values[i]));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Select_IsExactOnWideRowsOfChangingScale(KernelPath path)
    {
        // Scale jumps between consecutive rows make the carried hint yield far too many or far too few candidates.
        foreach (var (n, k) in new[] { (16384, 32), (3072, 32), (512, 36) })
        {
            for (var row = 0; row < 24; row++)
            {
                var scale = row % 3 == 0 ? 0.01f : (row % 3 == 1 ? 100f : 1f);
                var values = TestData.Gaussian(n, (row * 7) + n, scale).Select(v => v + (row % 4 == 0 ? 5f : 0f)).ToArray();
                SelectMatchesReference(values, k, path, $"n = {n}, k = {k}, row {row}");
            }
        }
    }
}
