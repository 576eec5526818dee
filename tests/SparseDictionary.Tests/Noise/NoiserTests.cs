using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Noise;

/// <summary>
/// Dropout and Gaussian noise: the values each entry can take, their statistics over many entries, determinism in
/// (seed, step, row), and argument checks. Statistical bounds are 5 standard errors of the estimated quantity, so a
/// correct implementation fails them with probability below 1e-6 (and the seeds are fixed).
/// </summary>
public class NoiserTests
{
    private const int Rows = 400;
    private const int Columns = 250;

    [Theory]
    [InlineData(0.1, true)]
    [InlineData(0.5, true)]
    [InlineData(0.3, false)]
    public void Dropout_ZeroesAboutARateOfEntriesAndScalesTheRest(double rate, bool inverted)
    {
        var clean = TestData.GaussianMatrix(Rows, Columns, 1);
        var before = clean.Span.ToArray();
        var noised = new Matrix(Rows, Columns);
        new DropoutNoiser(rate, inverted, seed: 5).Apply(clean, noised, step: 3);

        clean.Span.ToArray().Should().Equal(before, "the clean batch is read only");
        var scale = inverted ? (float)(1 / (1 - rate)) : 1f;
        var dropped = 0;
        for (var i = 0; i < before.Length; i++)
        {
            if (noised.Span[i] == 0)
            {
                dropped++;
            }
            else
            {
                noised.Span[i].Should().Be(before[i] * scale);
            }
        }

        // Binomial(N, p): standard error sqrt(p(1 - p)/N) of the dropped share.
        var n = (double)before.Length;
        ((double)dropped / n).Should().BeApproximately(rate, 5 * Math.Sqrt(rate * (1 - rate) / n));
    }

    [Fact]
    public void Dropout_RateZeroCopiesTheInput()
    {
        var clean = TestData.GaussianMatrix(7, 13, 2);
        var noised = new Matrix(7, 13);
        new DropoutNoiser(0).Apply(clean, noised, 0);
        noised.Span.ToArray().Should().Equal(clean.Span.ToArray());
    }

    [Fact]
    public void Noise_DependsOnlyOnSeedStepAndRow()
    {
        var clean = TestData.GaussianMatrix(64, 33, 3);
        Matrix Noise(INoiser noiser, Matrix input, long step)
        {
            var result = new Matrix(input.Rows, input.Columns);
            noiser.Apply(input, result, step);
            return result;
        }

        foreach (var noiser in new INoiser[] { new DropoutNoiser(0.4, seed: 9), new GaussianNoiser(0.5f, seed: 9) })
        {
            var first = Noise(noiser, clean, 10).Span.ToArray();
            first.Should().Equal(Noise(noiser, clean, 10).Span.ToArray(), $"{noiser.Name} repeats for the same step");
            first.Should().NotEqual(Noise(noiser, clean, 11).Span.ToArray(), $"{noiser.Name} differs across steps");

            // The first 20 rows of a batch are noised the same whether or not more rows follow.
            Noise(noiser, clean.SliceRows(0, 20), 10).Span.ToArray().Should().Equal(first[..(20 * 33)]);
        }

        var otherSeed = Noise(new DropoutNoiser(0.4, seed: 10), clean, 10).Span.ToArray();
        otherSeed.Should().NotEqual(Noise(new DropoutNoiser(0.4, seed: 9), clean, 10).Span.ToArray());
    }

    [Fact]
    public void Gaussian_AddsNoiseWithTheRequestedStandardDeviation()
    {
        const float sigma = 0.25f;
        var clean = TestData.GaussianMatrix(Rows, Columns, 4);
        var noised = new Matrix(Rows, Columns);
        new GaussianNoiser(sigma, seed: 1).Apply(clean, noised, 0);

        var differences = new double[clean.Length];
        for (var i = 0; i < differences.Length; i++)
        {
            differences[i] = noised.Span[i] - clean.Span[i];
        }

        var n = (double)differences.Length;
        var mean = differences.Average();
        var variance = differences.Sum(v => (v - mean) * (v - mean)) / (n - 1);

        // Standard errors: sigma / sqrt(N) for the mean; sigma² sqrt(2 / (N - 1)) for the variance of a Gaussian sample.
        mean.Should().BeApproximately(0, 5 * sigma / Math.Sqrt(n));
        variance.Should().BeApproximately(sigma * sigma, 5 * sigma * sigma * Math.Sqrt(2 / (n - 1)));
    }

    [Fact]
    public void Gaussian_ZeroDeviationCopiesTheInput()
    {
        var clean = TestData.GaussianMatrix(5, 9, 5);
        var noised = new Matrix(5, 9);
        new GaussianNoiser(0).Apply(clean, noised, 2);
        noised.Span.ToArray().Should().Equal(clean.Span.ToArray());
    }

    [Fact]
    public void BadArguments_AreRejectedWithTheValue()
    {
        ((Action)(() => _ = new DropoutNoiser(1))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[0, 1)*1*");
        ((Action)(() => _ = new DropoutNoiser(-0.1))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*-0.1*");
        ((Action)(() => _ = new DropoutNoiser(double.NaN))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*NaN*");
        ((Action)(() => _ = new GaussianNoiser(-1))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*-1*");
        ((Action)(() => _ = new GaussianNoiser(float.PositiveInfinity))).Should().Throw<ArgumentOutOfRangeException>();

        var noiser = new DropoutNoiser(0.2);
        var clean = new Matrix(4, 3);
        ((Action)(() => noiser.Apply(clean, new Matrix(4, 2), 0))).Should().Throw<ArgumentException>().WithMessage("*4 x 2*4 x 3*");
        ((Action)(() => noiser.Apply(clean, clean, 0))).Should().Throw<ArgumentException>().WithMessage("*shares memory*");
        ((Action)(() => noiser.Apply(clean, new Matrix(4, 3), -1))).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Names_DescribeTheSettings()
    {
        new DropoutNoiser(0.1).Name.Should().Be("Dropout(0.1)");
        new DropoutNoiser(0.25, invertedScaling: false).Name.Should().Be("Dropout(0.25, unscaled)");
        new GaussianNoiser(0.5f).Name.Should().Be("Gaussian(0.5)");
    }
}
