
namespace SparseDictionary.Metrics.Tests.Reconstruction;

public class ReconstructionEvaluationTests
{
    private static Matrix Random(int rows, int columns, int seed, float offset)
    {
        var random = new Random(seed);
        return Matrix.Wrap(Enumerable.Range(0, rows * columns).Select(_ => offset + (float)(random.NextDouble() - 0.5)).ToArray(), rows, columns);
    }

    private static void ShouldMatchMatrixFunctions(ReconstructionReport report, SparseAutoencoder sae, Matrix data)
    {
        var codes = sae.Encode(data);
        var xHat = sae.Decode(codes);
        static void Close(double actual, double expected) => actual.Should().BeApproximately(expected, 1e-9 * Math.Max(1, Math.Abs(expected)));

        report.Rows.Should().Be(data.Rows);
        Close(report.MeanSquaredError, ReconstructionMetrics.MeanSquaredError(data, xHat));
        Close(report.FractionOfVarianceUnexplained, ReconstructionMetrics.FractionOfVarianceUnexplained(data, xHat));
        Close(report.ExplainedVariance, ReconstructionMetrics.ExplainedVariance(data, xHat));
        Close(report.MeanCosineSimilarity, ReconstructionMetrics.MeanCosineSimilarity(data, xHat));
        Close(report.MeanL2Ratio, ReconstructionMetrics.MeanL2Ratio(data, xHat));
        report.MeanL0.Should().Be(SparsityMetrics.MeanL0(codes));
        report.DeadLatentShare.Should().Be(SparsityMetrics.DeadLatentShare(codes));
        report.FiringFrequencies.Should().Equal(SparsityMetrics.FiringFrequencies(codes));
    }

    [Fact]
    public void Streaming_EqualsMatrixFunctions_OverSeveralBatchesWithAPartialLast()
    {
        var sae = new SparseAutoencoder(8, 32, new TopKActivation(3), seed: 5);
        var data = Random(103, 8, 7, offset: 3);
        var source = new InMemoryActivationSource(data, loop: false);
        source.Read(new Matrix(10, 8)); // Evaluate must Reset first.

        var report = ReconstructionEvaluation.Evaluate(sae, source, batchSize: 10);

        ShouldMatchMatrixFunctions(report, sae, data);
        report.MeanL0.Should().BeGreaterThan(0).And.BeLessThanOrEqualTo(3);
        report.DeadLatentShare.Should().BeGreaterThan(0);
    }

    [Theory]
    [InlineData(1e4f, 1f)]
    [InlineData(1e6f, 1f)]
    [InlineData(0f, 1e-39f)]
    public void Streaming_Fvu_IsExact_OnOffsetAndDenormalData(float offset, float spread)
    {
        // A large common offset or denormal values: the streamed total variance (per-batch two-pass, merged) equals
        // the matrix function's two-pass one; the first row, the old shift, is made an outlier.
        var sae = new SparseAutoencoder(8, 32, new TopKActivation(3), seed: 5);
        var values = Random(1003, 8, 9, offset: 0).Span.ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = offset + (spread * values[i] * (i < 8 ? 50 : 1));
        }

        var data = Matrix.Wrap(values, 1003, 8);
        sae.InitializeDecoderBias(data, DecoderBiasInitialization.Mean);
        var report = ReconstructionEvaluation.Evaluate(sae, new InMemoryActivationSource(data, loop: false), batchSize: 100);

        ShouldMatchMatrixFunctions(report, sae, data);
    }

    [Fact]
    public void MaxRows_LimitsAnUnboundedSource()
    {
        var sae = new SparseAutoencoder(6, 16, new TopKActivation(2), seed: 1);
        var data = Random(40, 6, 3, offset: -1);
        var source = new InMemoryActivationSource(data, loop: true);

        var report = ReconstructionEvaluation.Evaluate(sae, source, batchSize: 8, maxRows: 27);

        ShouldMatchMatrixFunctions(report, sae, data.SliceRows(0, 27));
    }

    [Fact]
    public void BadInput_Throws()
    {
        var sae = new SparseAutoencoder(4, 8, new TopKActivation(2));
        var source = new InMemoryActivationSource(Random(5, 4, 1, 0), loop: false);

        ((Action)(() => ReconstructionEvaluation.Evaluate(null!, source))).Should().Throw<ArgumentNullException>();
        ((Action)(() => ReconstructionEvaluation.Evaluate(sae, null!))).Should().Throw<ArgumentNullException>();
        ((Action)(() => ReconstructionEvaluation.Evaluate(sae, source, batchSize: 0))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*was 0*");
        ((Action)(() => ReconstructionEvaluation.Evaluate(sae, source, maxRows: 0))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*was 0*");
        var wide = new InMemoryActivationSource(Random(5, 3, 1, 0), loop: false);
        ((Action)(() => ReconstructionEvaluation.Evaluate(sae, wide))).Should().Throw<ArgumentException>().WithMessage("*width 3*dimension is 4*");
        var unbounded = new InMemoryActivationSource(Random(5, 4, 1, 0));
        ((Action)(() => ReconstructionEvaluation.Evaluate(sae, unbounded))).Should().Throw<ArgumentException>().WithMessage("*unbounded*");
        var nan = Random(5, 4, 1, 0);
        nan[3, 2] = float.NaN;
        ((Action)(() => ReconstructionEvaluation.Evaluate(sae, new InMemoryActivationSource(nan, loop: false), batchSize: 2))).Should().Throw<ArgumentException>().WithMessage("*Source row 3, column 2 is NaN*");
    }
}
