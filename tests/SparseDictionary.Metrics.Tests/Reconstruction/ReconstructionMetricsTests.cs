
namespace SparseDictionary.Metrics.Tests.Reconstruction;

public class ReconstructionMetricsTests
{
    private static Matrix Random(int rows, int columns, int seed, float offset = 0)
    {
        var random = new Random(seed);
        return Matrix.Wrap(Enumerable.Range(0, rows * columns).Select(_ => offset + (float)(random.NextDouble() - 0.5)).ToArray(), rows, columns);
    }

    [Fact]
    public void PerfectReconstruction_HasNoErrorAndUnitCosineAndRatio()
    {
        var x = Random(7, 5, 1, offset: 0.3f);

        ReconstructionMetrics.MeanSquaredError(x, x.Clone()).Should().Be(0);
        ReconstructionMetrics.FractionOfVarianceUnexplained(x, x.Clone()).Should().Be(0);
        ReconstructionMetrics.ExplainedVariance(x, x.Clone()).Should().Be(1);
        ReconstructionMetrics.MeanCosineSimilarity(x, x.Clone()).Should().BeApproximately(1, 1e-12);
        ReconstructionMetrics.MeanL2Ratio(x, x.Clone()).Should().Be(1);
    }

    [Fact]
    public void ReconstructingEveryRowAsTheMeanRow_HasFvuExactlyOne()
    {
        var x = Matrix.FromArray(new float[,] { { 0, 0 }, { 2, 4 }, { 4, 2 }, { 2, 2 } });
        var mean = Matrix.FromArray(new float[,] { { 2, 2 }, { 2, 2 }, { 2, 2 }, { 2, 2 } });

        ReconstructionMetrics.FractionOfVarianceUnexplained(x, mean).Should().Be(1);
        ReconstructionMetrics.ExplainedVariance(x, mean).Should().Be(0);
    }

    [Fact]
    public void TwoByTwo_MatchesHandComputation()
    {
        // x = [[1,2],[3,4]], x̂ = [[1,1],[3,5]]: errors (0,1) and (0,-1), SSE = 2; μ = (2,3), Σ||x - μ||² = 2 + 2 = 4.
        var x = Matrix.FromArray(new float[,] { { 1, 2 }, { 3, 4 } });
        var xHat = Matrix.FromArray(new float[,] { { 1, 1 }, { 3, 5 } });

        ReconstructionMetrics.MeanSquaredError(x, xHat).Should().Be(0.5);
        ReconstructionMetrics.FractionOfVarianceUnexplained(x, xHat).Should().Be(0.5);
        ReconstructionMetrics.ExplainedVariance(x, xHat).Should().Be(0.5);

        // cos: 3 / (√5 √2) and 29 / (5 √34); L2 ratio: √2/√5 and √34/5.
        var cosine = ((3 / Math.Sqrt(10)) + (29 / (5 * Math.Sqrt(34)))) / 2;
        ReconstructionMetrics.MeanCosineSimilarity(x, xHat).Should().BeApproximately(cosine, 1e-12);
        var ratio = (Math.Sqrt(2.0 / 5) + (Math.Sqrt(34) / 5)) / 2;
        ReconstructionMetrics.MeanL2Ratio(x, xHat).Should().BeApproximately(ratio, 1e-12);
    }

    [Fact]
    public void Fvu_IsTheWholeSetRatio_NotTheLegacyPerDimensionAverage()
    {
        // x = [[0,0],[2,4]], μ = (1,2): per-dimension Σ(x - μ)² = 2 and 8, total 10.
        // x̂ = [[1,0],[1,4]]: per-dimension SSE = 2 and 0, total 2.
        // Correct FVU = 2 / 10 = 0.2; legacy per-dimension average (2/2 + 0/8) / 2 = 0.5.
        var x = Matrix.FromArray(new float[,] { { 0, 0 }, { 2, 4 } });
        var xHat = Matrix.FromArray(new float[,] { { 1, 0 }, { 1, 4 } });

        var legacy = Enumerable.Range(0, 2).Average(j =>
        {
            var mu = (x[0, j] + x[1, j]) / 2.0;
            var sse = Math.Pow(x[0, j] - xHat[0, j], 2) + Math.Pow(x[1, j] - xHat[1, j], 2);
            return sse / (Math.Pow(x[0, j] - mu, 2) + Math.Pow(x[1, j] - mu, 2));
        });
        legacy.Should().Be(0.5);
        ReconstructionMetrics.FractionOfVarianceUnexplained(x, xHat).Should().Be(0.2);
    }

    [Fact]
    public void ZeroRows_CountAsCosineZero_AndAreSkippedByTheL2Ratio()
    {
        var x = Matrix.FromArray(new float[,] { { 1, 0 }, { 0, 0 }, { 3, 4 } });
        var xHat = Matrix.FromArray(new float[,] { { 2, 0 }, { 1, 1 }, { 0, 0 } });

        // cosines 1, 0 (x zero), 0 (x̂ zero); ratios 2, skipped, 0.
        ReconstructionMetrics.MeanCosineSimilarity(x, xHat).Should().BeApproximately(1.0 / 3, 1e-15);
        ReconstructionMetrics.MeanL2Ratio(x, xHat).Should().Be(1);
    }

    [Fact]
    public void ConstantData_ThrowsNamingZeroVariance()
    {
        var x = Matrix.FromArray(new float[,] { { 1, 2 }, { 1, 2 } });

        var act = () => ReconstructionMetrics.FractionOfVarianceUnexplained(x, x.Clone());
        act.Should().Throw<ArgumentException>().WithMessage("*zero total variance*");
        var single = () => ReconstructionMetrics.ExplainedVariance(Matrix.FromArray(new float[,] { { 1, 2 } }), Matrix.FromArray(new float[,] { { 1, 2 } }));
        single.Should().Throw<ArgumentException>().WithMessage("*zero total variance*");
    }

    [Fact]
    public void AllZeroInputs_ThrowForTheL2Ratio()
    {
        var act = () => ReconstructionMetrics.MeanL2Ratio(new Matrix(2, 2), new Matrix(2, 2));
        act.Should().Throw<ArgumentException>().WithMessage("*All 2 input rows are zero*");
    }

    [Fact]
    public void BadInput_Throws()
    {
        var x = Random(3, 2, 2);
        Func<Matrix, Matrix, double>[] metrics =
        [
            ReconstructionMetrics.MeanSquaredError,
            ReconstructionMetrics.FractionOfVarianceUnexplained,
            ReconstructionMetrics.ExplainedVariance,
            ReconstructionMetrics.MeanCosineSimilarity,
            ReconstructionMetrics.MeanL2Ratio,
        ];

        foreach (var metric in metrics)
        {
            ((Action)(() => metric(null!, x))).Should().Throw<ArgumentNullException>();
            ((Action)(() => metric(x, null!))).Should().Throw<ArgumentNullException>();
            ((Action)(() => metric(new Matrix(0, 2), new Matrix(0, 2)))).Should().Throw<ArgumentException>().WithMessage("*empty (0 x 2)*");
            ((Action)(() => metric(x, new Matrix(3, 3)))).Should().Throw<ArgumentException>().WithMessage("*3 x 2*3 x 3*");
            var nan = x.Clone();
            nan[1, 1] = float.NaN;
            ((Action)(() => metric(x, nan))).Should().Throw<ArgumentException>().WithMessage("*(1, 1) is NaN*").Which.ParamName.Should().Be("xHat");
            var inf = x.Clone();
            inf[2, 0] = float.PositiveInfinity;
            ((Action)(() => metric(inf, x))).Should().Throw<ArgumentException>().WithMessage("*(2, 0)*").Which.ParamName.Should().Be("x");
        }
    }
}
