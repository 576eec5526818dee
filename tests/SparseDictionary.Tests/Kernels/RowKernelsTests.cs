using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

public class RowKernelsTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]
    [InlineData(33, 257)]
    public void NormalizeRows_GivesUnitRowsAndKeepsDirections(int rows, int d)
    {
        var w = TestData.Gaussian(rows * d, 1, 5f);
        var original = (float[])w.Clone();
        w.AsSpan(0, d).Clear();
        original.AsSpan(0, d).Clear();
        RowKernels.NormalizeRows(w, rows, d);
        w.AsSpan(0, d).ToArray().Should().OnlyContain(x => x == 0, "a zero row stays zero");
        for (var r = 1; r < rows; r++)
        {
            var norm = Math.Sqrt(w.AsSpan(r * d, d).ToArray().Sum(x => (double)x * x));
            norm.Should().BeApproximately(1, 1e-6);
            var originalNorm = Math.Sqrt(original.AsSpan(r * d, d).ToArray().Sum(x => (double)x * x));
            for (var c = 0; c < d; c++)
            {
                w[(r * d) + c].Should().BeApproximately((float)(original[(r * d) + c] / originalNorm), 1e-6f);
            }
        }
    }

    [Fact]
    public void RemoveParallelComponent_LeavesGradientOrthogonalToUnitRows()
    {
        var (rows, d) = (9, 31);
        var w = TestData.Gaussian(rows * d, 2);
        RowKernels.NormalizeRows(w, rows, d);
        var g = TestData.Gaussian(rows * d, 3);
        var original = (float[])g.Clone();
        RowKernels.RemoveParallelComponent(g, w, rows, d);
        for (var r = 0; r < rows; r++)
        {
            var dot = Enumerable.Range(0, d).Sum(c => (double)g[(r * d) + c] * w[(r * d) + c]);
            dot.Should().BeApproximately(0, 1e-5);
            var originalDot = Enumerable.Range(0, d).Sum(c => (double)original[(r * d) + c] * w[(r * d) + c]);
            for (var c = 0; c < d; c++)
            {
                g[(r * d) + c].Should().BeApproximately((float)(original[(r * d) + c] - (originalDot * w[(r * d) + c])), 1e-5f);
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void AddToDouble_MatchesTheScalarLoopExactly(KernelPath path)
    {
        foreach (var n in TestData.AwkwardLengths)
        {
            var sums = TestData.Gaussian(n + 3, n + 7, 1e4f).Select(v => (double)v / 3).ToArray();
            var expected = (double[])sums.Clone();
            for (var r = 0; r < 5; r++)
            {
                var row = TestData.Gaussian(n, (n * 5) + r, r == 2 ? 1e-20f : 1f);
                for (var c = 0; c < n; c++)
                {
                    expected[c] += row[c];
                }

                RowKernels.AddToDouble(row, sums, path);
            }

            sums.Should().Equal(expected, $"n = {n}, path {path}");
        }
    }
}
