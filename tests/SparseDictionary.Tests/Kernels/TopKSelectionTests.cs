using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

public class TopKSelectionTests
{
    /// <summary>
    /// Selects on <paramref name="path"/> and asserts the count (min(k, n) without NaN), the indices and the values of
    /// <see cref="Reference"/>.
    /// </summary>
    private static void SelectMatchesReference(float[] values, int k, KernelPath path, string because)
    {
        var indices = new int[k];
        var selected = new float[k];
        var count = TopKSelection.Select(values, k, indices, selected, path);
        var (refIndices, refValues) = Reference(values, k);
        count.Should().Be(refIndices.Length, because);
        indices[..count].Should().Equal(refIndices, because);
        selected[..count].Should().Equal(refValues, because);
    }

    /// <summary>Reference: sort the numbers (value desc, index asc; NaN never wins), take k, list them by index.</summary>
    private static (int[] Indices, float[] Values) Reference(float[] values, int k)
    {
        var order = Enumerable.Range(0, values.Length).Where(i => !float.IsNaN(values[i]))
            .OrderByDescending(i => values[i]).ThenBy(i => i).Take(k).Order().ToArray();
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

    /// <summary>
    /// Lengths around multiples of 8 (the Vector256 block), 16 (the AVX-512 block) and 64 (the AVX-512 filter's group of
    /// 4 blocks), up to the smallest SAE width.
    /// </summary>
    private static readonly int[] BlockEdgeLengths = [1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 79, 80, 81, 95, 96, 97, 127, 128, 129, 191, 192, 193, 255, 256, 257, 511, 512, 513];

    /// <summary>
    /// A row of <paramref name="n"/> entries built so that what the selection decides falls across the 16-entry blocks:
    /// plateaus of equal values straddling block boundaries, NaN on the first and last lanes of blocks, signed zeros,
    /// infinities, or plain ties from rounding.
    /// </summary>
    private static float[] BlockEdgeRow(int n, int pattern, int seed)
    {
        var values = TestData.Gaussian(n, seed);
        switch (pattern)
        {
            case 0:
                // Rounded values: many ties.
                for (var i = 0; i < n; i++)
                {
                    values[i] = MathF.Round(values[i] * 2) / 2;
                }

                break;
            case 1:
                // Plateaus of one large value over lanes 13..18 of each pair of blocks, and a smaller one at 29..34.
                for (var i = 0; i < n; i++)
                {
                    var lane = i % 32;
                    if (lane is >= 13 and <= 18)
                    {
                        values[i] = 4f;
                    }
                    else if (lane >= 29 || lane <= 2)
                    {
                        values[i] = 3f;
                    }
                }

                break;
            case 2:
                // NaN on the first and last lane of every block, and on the row's last entry.
                for (var i = 0; i < n; i++)
                {
                    if (i % 16 is 0 or 15 || i == n - 1)
                    {
                        values[i] = float.NaN;
                    }
                }

                break;
            case 3:
                // Signed zeros on the block edges, infinities next to them, the rest negative.
                for (var i = 0; i < n; i++)
                {
                    values[i] = (i % 16) switch
                    {
                        0 => -0f,
                        15 => 0f,
                        1 => float.PositiveInfinity,
                        14 => float.NegativeInfinity,
                        _ => -1f - MathF.Abs(values[i]),
                    };
                }

                break;
            case 4:
                // NaN everywhere except a few numbers, all of them equal.
                for (var i = 0; i < n; i++)
                {
                    values[i] = i % 17 == 16 ? 2f : float.NaN;
                }

                break;
            default:
                // One value repeated over the whole row.
                Array.Fill(values, 0.5f);
                break;
        }

        return values;
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Select_MatchesSortReference_AroundBlocksOf16(KernelPath path)
    {
        // Consecutive rows on one thread, so the hint of one row meets the next (of another length or pattern).
        foreach (var n in BlockEdgeLengths)
        {
            foreach (var pattern in Enumerable.Range(0, 6))
            {
                foreach (var k in new[] { 1, 2, 15, 16, 17, 31, 32, 33, 36, n / 2, n - 1, n, n + 1 }.Where(k => k >= 1).Distinct())
                {
                    var values = BlockEdgeRow(n, pattern, (n * 97) + (pattern * 13) + k);
                    SelectMatchesReference(values, k, path, $"n = {n}, pattern {pattern}, k = {k}, path = {path}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Select_WritesNothingPastTheOutputs(KernelPath path)
    {
        // Outputs of exactly the selected count, or longer, inside larger buffers: only the selected entries may change.
        const int Guard = 40;
        foreach (var n in BlockEdgeLengths)
        {
            foreach (var k in new[] { 1, 15, 16, 17, 32, 36, n - 1, n }.Where(k => k >= 1).Distinct())
            {
                foreach (var slack in new[] { 0, 1, 24 })
                {
                    var values = BlockEdgeRow(n, (n + k) % 4, (n * 5) + k);
                    var (refIndices, refValues) = Reference(values, k);
                    var length = Math.Min(k, n) + slack;
                    var indexBuffer = Enumerable.Repeat(-7, length + (2 * Guard)).ToArray();
                    var valueBuffer = Enumerable.Repeat(-7f, length + (2 * Guard)).ToArray();
                    var written = TopKSelection.Select(values, k, indexBuffer.AsSpan(Guard, length), valueBuffer.AsSpan(Guard, length), path);
                    var because = $"n = {n}, k = {k}, slack {slack}, path = {path}";
                    written.Should().Be(refIndices.Length, because);
                    indexBuffer.AsSpan(Guard, written).ToArray().Should().Equal(refIndices, because);
                    valueBuffer.AsSpan(Guard, written).ToArray().Should().Equal(refValues, because);
                    indexBuffer.Take(Guard).Concat(indexBuffer.Skip(Guard + written)).Should().OnlyContain(i => i == -7, because);
                    valueBuffer.Take(Guard).Concat(valueBuffer.Skip(Guard + written)).Should().OnlyContain(v => v == -7f, because);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Filter_KeepsEveryPatternOfAnEightEntryBlock(KernelPath path)
    {
        // Each of the 256 keep/drop patterns of a block of 8, in every block position of a 40-entry row (4 blocks of a
        // group, then a fifth block): the AVX2 path packs a block's kept entries by a table row chosen by the pattern.
        const int N = 40;
        for (var pattern = 0; pattern < 256; pattern++)
        {
            for (var block = 0; block < N / 8; block++)
            {
                var values = new float[N];
                for (var i = 0; i < N; i++)
                {
                    var kept = i / 8 == block ? (pattern & (1 << (i % 8))) != 0 : (i * 7) % 5 == 0;
                    values[i] = kept ? 10f + i : -10f - i;
                }

                var expected = Enumerable.Range(0, N).Where(i => values[i] >= 0f).ToArray();
                var indices = new int[N];
                var selected = new float[N];
                var m = TopKSelection.Filter(values, 0f, selected, indices, N, path);
                var because = $"pattern {pattern}, block {block}, path = {path}";
                m.Should().Be(expected.Length, because);
                indices.Take(m).Should().Equal(expected, because);
                selected.Take(m).Should().Equal(expected.Select(i => values[i]), because);
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Filter_AbortsExactlyPastCapacity_AtBlockBoundaries(KernelPath path)
    {
        // The candidate pass alone: -1 exactly when more than capacity entries are >= floor, else all of them in index
        // order; outputs of exactly capacity entries inside larger buffers, whose other entries must stay untouched.
        const int Guard = 40;
        foreach (var n in BlockEdgeLengths)
        {
            foreach (var pattern in Enumerable.Range(0, 6))
            {
                var values = BlockEdgeRow(n, pattern, (n * 3) + pattern);
                var numbers = values.Where(v => !float.IsNaN(v)).Distinct().Order().ToArray();
                var floors = new[] { float.NegativeInfinity, float.PositiveInfinity, 0f, -0f, 3f, 4f }
                    .Concat(numbers.Length > 0 ? new[] { numbers[0], numbers[numbers.Length / 2], numbers[^1] } : []);
                foreach (var floor in floors)
                {
                    var expected = Enumerable.Range(0, n).Where(i => values[i] >= floor).ToArray();
                    var capacities = new[] { 0, 1, 15, 16, 17, 31, 32, 33, 48, expected.Length - 1, expected.Length, expected.Length + 1, n };
                    foreach (var capacity in capacities.Where(c => c >= 0 && c <= n).Distinct())
                    {
                        var indexBuffer = Enumerable.Repeat(-7, capacity + (2 * Guard)).ToArray();
                        var valueBuffer = Enumerable.Repeat(-7f, capacity + (2 * Guard)).ToArray();
                        var m = TopKSelection.Filter(values, floor, valueBuffer.AsSpan(Guard, capacity), indexBuffer.AsSpan(Guard, capacity), capacity, path);
                        var because = $"n = {n}, pattern {pattern}, floor {floor}, capacity {capacity}, path = {path}";
                        if (expected.Length > capacity)
                        {
                            m.Should().Be(-1, because);
                        }
                        else
                        {
                            m.Should().Be(expected.Length, because);
                            indexBuffer.AsSpan(Guard, m).ToArray().Should().Equal(expected, because);
                            valueBuffer.AsSpan(Guard, m).ToArray().Should().Equal(expected.Select(i => values[i]), because);
                        }

                        indexBuffer.Take(Guard).Concat(indexBuffer.Skip(Guard + capacity)).Should().OnlyContain(i => i == -7, because);
                        valueBuffer.Take(Guard).Concat(valueBuffer.Skip(Guard + capacity)).Should().OnlyContain(v => v == -7f, because);
                    }
                }
            }
        }
    }
}
