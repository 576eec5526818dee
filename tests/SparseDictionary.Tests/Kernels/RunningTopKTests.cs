using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

public class RunningTopKTests
{
    /// <summary>Reference: the k largest (value desc, index asc; NaN never wins), then the positive ones, by index.</summary>
    private static (int[] Indices, float[] Values) Reference(float[] values, int k)
    {
        var order = Enumerable.Range(0, values.Length).Where(i => !float.IsNaN(values[i]))
            .OrderByDescending(i => values[i]).ThenBy(i => i).Take(k).Where(i => values[i] > 0).Order().ToArray();
        return (order, order.Select(i => values[i]).ToArray());
    }

    /// <summary>Feeds every row in chunks of <paramref name="chunk"/> columns and compares each row's selection with <see cref="Reference"/>.</summary>
    private static void StreamedMatchesReference(float[][] rows, int k, int chunk, KernelPath path, string because)
    {
        using var running = new RunningTopK(rows.Length, k);
        running.Reset(rows.Length);
        var width = rows[0].Length;
        for (var c0 = 0; c0 < width; c0 += chunk)
        {
            for (var r = 0; r < rows.Length; r++)
            {
                running.Add(r, rows[r].AsSpan(c0, Math.Min(chunk, width - c0)), c0, path);
            }
        }

        for (var r = 0; r < rows.Length; r++)
        {
            var indices = new int[k];
            var values = new float[k];
            var count = running.Finish(r, indices, values);
            var (refIndices, refValues) = Reference(rows[r], k);
            count.Should().Be(refIndices.Length, $"{because}, row {r}");
            indices[..count].Should().Equal(refIndices, $"{because}, row {r}");
            values[..count].Should().Equal(refValues, $"{because}, row {r}");
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void StreamedRows_SelectLikeTopKThenReLU_ForAnyChunking(KernelPath path)
    {
        using var _ = KernelPaths.Force(path);
        foreach (var width in new[] { 1, 5, 33, 257, 600 })
        {
            foreach (var k in new[] { 1, 3, 32 })
            {
                // Rounded values: many ties (broken toward the lower index) across chunk boundaries; a shifted row
                // with few positive entries (fewer than k on most rows).
                var rows = new[]
                {
                    TestData.Gaussian(width, width + k).Select(v => MathF.Round(v * 4) / 4).ToArray(),
                    TestData.Gaussian(width, (7 * width) + k),
                    TestData.Gaussian(width, (11 * width) + k).Select(v => v - 2.5f).ToArray(),
                };
                foreach (var chunk in new[] { 1, 7, 16, 64, 100, width })
                {
                    StreamedMatchesReference(rows, k, chunk, path, $"width {width}, k {k}, chunk {chunk}, path {path}");
                }
            }
        }
    }

    [Fact]
    public void SpecialValues_NaNNeverWins_InfinityAndTiesResolveLikeTheWholeRow()
    {
        var rows = new[]
        {
            // NaN, +Inf, zeros and negative zero (not positive), the smallest positive float, and ties at the cut.
            new[] { float.NaN, 1f, 0f, -0f, float.Epsilon, 2f, float.PositiveInfinity, 2f, float.NaN, 2f, -1f, 2f, float.PositiveInfinity, 3f },
            new[] { float.PositiveInfinity, float.PositiveInfinity, float.PositiveInfinity, 5f, float.PositiveInfinity, 1f, 2f, 3f, 4f, 6f, 7f, 8f, 9f, 10f },
            Enumerable.Repeat(float.NaN, 14).ToArray(),
            Enumerable.Repeat(-3f, 14).ToArray(),
            Enumerable.Repeat(0.5f, 14).ToArray(),
        };
        foreach (var k in new[] { 1, 2, 3, 4, 14 })
        {
            foreach (var chunk in new[] { 1, 2, 5, 14 })
            {
                StreamedMatchesReference(rows, k, chunk, KernelPaths.Best, $"k {k}, chunk {chunk}");
            }
        }
    }

    [Fact]
    public void Reset_ForgetsThePreviousBlock()
    {
        using var running = new RunningTopK(2, 2);
        running.Reset(2);
        running.Add(0, [5f, 6f, 7f], 0, KernelPaths.Best);
        running.Add(1, [1f], 0, KernelPaths.Best);
        running.Reset(1);
        running.Add(0, [0.5f, -1f, 0.25f], 10, KernelPaths.Best);
        var indices = new int[2];
        var values = new float[2];
        running.Finish(0, indices, values).Should().Be(2);
        indices.Should().Equal(10, 12);
        values.Should().Equal(0.5f, 0.25f);
        Action tooMany = () => running.Reset(3);
        tooMany.Should().Throw<ArgumentOutOfRangeException>();
    }
}
