
namespace SparseDictionary.Metrics.Tests.Reconstruction;

public class SparsityMetricsTests
{
    // 4 rows, 4 latents: row 0 stores latent 2 with an explicit 0; row 3 is empty.
    private static SparseCodes HandCodes()
    {
        var codes = new SparseCodes(4, 4, 2);
        codes.SetRow(0, [0, 2], [1f, 0f]);
        codes.SetRow(1, [0, 1], [2f, -3f]);
        codes.SetRow(2, [2], [0.5f]);
        return codes;
    }

    [Fact]
    public void MeanL0_DoesNotCountStoredZeros()
    {
        // Nonzero counts 1, 2, 1, 0 -> 4 / 4 = 1 (the stored zero would make it 1.25).
        SparsityMetrics.MeanL0(HandCodes()).Should().Be(1);
    }

    [Fact]
    public void FiringFrequenciesAndDeadShare_MatchHandCounts()
    {
        var codes = HandCodes();
        SparsityMetrics.FiringFrequencies(codes).Should().Equal(0.5, 0.25, 0.25, 0);
        SparsityMetrics.DeadLatentShare(codes).Should().Be(0.25);
    }

    [Fact]
    public void Deviations_MatchHandComputation()
    {
        // h = 4, k = 1, k/h = 0.25: relative deviations 0, 0, 1, 1.
        double[] equal = [0.25, 0.25, 0.5, 0];
        SparsityMetrics.InactivityDeviation(equal, 1).Should().Be(0.5);
        SparsityMetrics.InactivityDeviationCubed(equal, 1).Should().Be(0.5);

        // Relative deviations 2, 1, 1, 0: linear (2+1+1+0)/4 = 1, cubed (8+1+1+0)/4 = 2.5.
        double[] skewed = [0.75, 0, 0, 0.25];
        SparsityMetrics.InactivityDeviation(skewed, 1).Should().Be(1);
        SparsityMetrics.InactivityDeviationCubed(skewed, 1).Should().Be(2.5);

        // Uniform use is 0.
        SparsityMetrics.InactivityDeviation([0.5, 0.5, 0.5, 0.5], 2).Should().Be(0);
        SparsityMetrics.InactivityDeviationCubed(SparsityMetrics.FiringFrequencies(HandCodes()), 1).Should().Be(0.5);
    }

    [Fact]
    public void FiringHistogram_BinsLog10Frequencies()
    {
        // bins = 4 over [-4, 0]: edges -4, -3, -2, -1, 0.
        // log10: 1 -> 0 (last bin), 0.2 -> -0.70 (bin 3), 0.02 -> -1.70 (bin 2), 0.0005 -> -3.30 (bin 0),
        // 1e-10 -> below range (clamped to bin 0), 0 -> never fired.
        double[] frequencies = [1, 0.2, 0.02, 0.0005, 1e-10, 0, 0];
        var histogram = SparsityMetrics.FiringHistogram(frequencies, bins: 4, minLog10: -4);

        histogram.BinEdges.Should().Equal(-4, -3, -2, -1, 0);
        histogram.Counts.Should().Equal(2, 0, 1, 2);
        histogram.NeverFired.Should().Be(2);
    }

    [Fact]
    public void FiringHistogram_DefaultsToTwentyBinsDownToMinusEight()
    {
        var histogram = SparsityMetrics.FiringHistogram([0.5]);
        histogram.BinEdges.Should().HaveCount(21);
        histogram.BinEdges[0].Should().Be(-8);
        histogram.BinEdges[1].Should().Be(-7.6);
        histogram.Counts.Sum().Should().Be(1);
        histogram.Counts[19].Should().Be(1);
    }

    [Fact]
    public void BadInput_Throws()
    {
        ((Action)(() => SparsityMetrics.MeanL0(null!))).Should().Throw<ArgumentNullException>();
        ((Action)(() => SparsityMetrics.FiringFrequencies(new SparseCodes(0, 4, 2)))).Should().Throw<ArgumentException>().WithMessage("*no rows*");
        var nan = new SparseCodes(2, 3, 1);
        nan.SetRow(1, [2], [float.NaN]);
        ((Action)(() => SparsityMetrics.DeadLatentShare(nan))).Should().Throw<ArgumentException>().WithMessage("*Row 1*NaN*latent 2*");

        ((Action)(() => SparsityMetrics.InactivityDeviation(null!, 1))).Should().Throw<ArgumentNullException>();
        ((Action)(() => SparsityMetrics.InactivityDeviation([], 1))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*empty*");
        ((Action)(() => SparsityMetrics.InactivityDeviationCubed([0.5, 0.5], 0))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[1, 2]*was 0*");
        ((Action)(() => SparsityMetrics.InactivityDeviation([0.5, 0.5], 3))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*was 3*");
        ((Action)(() => SparsityMetrics.InactivityDeviation([0.5, 1.5], 1))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Frequency 1 is 1.5*");
        ((Action)(() => SparsityMetrics.FiringHistogram([0.5, double.NaN]))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Frequency 1 is NaN*");
        ((Action)(() => SparsityMetrics.FiringHistogram([0.5], bins: 0))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*bins was 0*");
        ((Action)(() => SparsityMetrics.FiringHistogram([0.5], minLog10: 0))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*minLog10*was 0*");
    }
}
