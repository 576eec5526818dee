using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;
using SparseDictionary.Metrics;

namespace SparseDictionary.Tests.Training;

/// <summary>
/// The fraction of variance unexplained that training reports is exact on data with a large common offset and on
/// denormal data: its denominator, Σ_b ||x_b - μ||², was Σ ||x_b||² - B ||μ||² with float sums of squares (0.009
/// against 0.727 from the Metrics package at a mean of 1e4; NaN on denormal data).
/// </summary>
public class ReportedStatisticsTests
{
    /// <summary>Name, common offset and spread of the data.</summary>
    public static TheoryData<string, float, float> Cases => new()
    {
        { "mean 1e4", 1e4f, 1f },
        { "mean 1e6", 1e6f, 1f },
        { "denormal", 0f, 1e-39f },
    };

    private static Matrix Data(int rows, int d, float offset, float spread, int seed)
    {
        var values = TestData.Gaussian(rows * d, seed);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = offset + (spread * values[i]);
        }

        return Matrix.Wrap(values, rows, d);
    }

    /// <summary>The two-pass reference: the mean row in double, then the squared deviations from it in double.</summary>
    private static double TwoPassVariance(Matrix x)
    {
        var mean = new double[x.Columns];
        for (var r = 0; r < x.Rows; r++)
        {
            for (var c = 0; c < x.Columns; c++)
            {
                mean[c] += x[r, c];
            }
        }

        for (var c = 0; c < x.Columns; c++)
        {
            mean[c] /= x.Rows;
        }

        var total = 0.0;
        for (var r = 0; r < x.Rows; r++)
        {
            for (var c = 0; c < x.Columns; c++)
            {
                var deviation = x[r, c] - mean[c];
                total += deviation * deviation;
            }
        }

        return total;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TotalVariance_MatchesATwoPassReference(string name, float offset, float spread)
    {
        // 1000 rows (not a multiple of the 64-row blocks) x 37 columns (not a multiple of the vector width).
        // Tolerance: both sums add the same 37,000 squared double deviations, in another order and from means that may
        // differ in the last bit: a relative error of at most about (n + d) 2^-53 each, below 1e-12; 1e-10 is ample.
        var x = Data(1000, 37, offset, spread, 3);
        var expected = TwoPassVariance(x);
        expected.Should().BeGreaterThan(0, name);

        foreach (var path in TestData.SupportedPaths())
        {
            using var _ = KernelPaths.Force(path);
            var actual = SaeTrainingState.TotalVariance(x);
            actual.Should().BeApproximately(expected, 1e-10 * expected, $"{name}, path {path}");
        }
    }

    [Fact]
    public void TotalVariance_IsTheSameBitsOnEveryPath()
    {
        var x = Data(517, 45, 3f, 0.5f, 4);
        var bits = TestData.SupportedPaths().Select(path =>
        {
            using var _ = KernelPaths.Force(path);
            return BitConverter.DoubleToInt64Bits(SaeTrainingState.TotalVariance(x));
        }).ToArray();
        bits.Should().OnlyContain(b => b == bits[0]);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainerReportedFvu_EqualsTheMetricsFvu_OnTheSameWeightsAndBatch(string name, float offset, float spread)
    {
        // One step on one batch: the progress report gives the FVU of the step's forward pass, made with the weights
        // before the update, which a clone keeps.
        const int rows = 512, d = 32;
        var batch = Data(rows, d, offset, spread, 5);
        var sae = new SparseAutoencoder(d, 64, new TopKActivation(4), seed: 2);
        sae.InitializeDecoderBias(batch, DecoderBiasInitialization.Mean);
        var before = sae.Clone();
        var options = new SaeTrainerOptions { LearningRate = 1e-3f, BatchSize = rows, TotalTokens = rows, DecoderBiasInitialization = DecoderBiasInitialization.None };
        var result = new SaeTrainer(options).Train(sae, new InMemoryActivationSource(batch));
        var reported = result.LastProgress!.Saes[0].FractionOfVarianceUnexplained;

        var expected = ReconstructionMetrics.FractionOfVarianceUnexplained(batch, before.Reconstruct(batch));

        // Tolerance. Numerators: the same reconstruction (the trainer's encoder and decoder give the bits of Encode and
        // Decode); the trainer rounds each difference x_hat - x to float before squaring it in double, the Metrics
        // package subtracts in double: at most 2^-24 relative per difference, 2^-23 per square, so 2^-23 on the sum.
        // Denominators: both two-pass in double (the reference above), at most about 1e-12 apart. Hence 2^-23 + 1e-12.
        expected.Should().BeGreaterThan(0, name);
        reported.Should().BeApproximately(expected, (Math.Pow(2, -23) + 1e-12) * expected, name);
    }
}
