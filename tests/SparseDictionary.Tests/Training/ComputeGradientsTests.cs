using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Training;

/// <summary>The public gradient call: exact gradients, nothing changed.</summary>
public sealed class ComputeGradientsTests
{
    [Fact]
    public void ComputeGradients_LeavesTheSaeUnchanged_AndMatchesFiniteDifferencesOnTheDecoder()
    {
        var sae = new SparseAutoencoder(6, 8, new TopKActivation(3), seed: 2);
        TestData.Gaussian(6, 3, 0.1f).CopyTo(sae.DecoderBias.Span);
        var batch = TestData.GaussianMatrix(5, 6, seed: 4);
        var trainer = new SaeTrainer(new SaeTrainerOptions { BatchSize = 5, TotalTokens = 5 });
        var before = sae.DecoderWeights.Span.ToArray().Concat(sae.EncoderWeights.Span.ToArray()).ToArray();

        var (loss, gradients) = trainer.ComputeGradients(sae, batch);

        sae.DecoderWeights.Span.ToArray().Concat(sae.EncoderWeights.Span.ToArray()).Should().Equal(before);
        loss.Should().BeGreaterThan(0);
        // The loss is quadratic in W_dec, whose entries do not move the encoding: a central difference is exact up to
        // float rounding of a loss of order 1 (about 1e-7 / h).
        const float h = 1e-2f;
        for (var entry = 0; entry < 48; entry += 5)
        {
            var weights = sae.DecoderWeights.Span;
            var original = weights[entry];
            weights[entry] = original + h;
            var up = trainer.ComputeGradients(sae, batch).Loss;
            weights[entry] = original - h;
            var down = trainer.ComputeGradients(sae, batch).Loss;
            weights[entry] = original;
            var difference = (up - down) / (2 * h);
            gradients[0].DecoderWeights.Span[entry].Should().BeApproximately((float)difference, 1e-4f + (1e-3f * Math.Abs((float)difference)), $"entry {entry}");
        }
    }

    [Fact]
    public void ComputeGradients_WithMfr_ReportsItsTerm()
    {
        var saes = new[] { new SparseAutoencoder(6, 8, new TopKActivation(3), seed: 2), new SparseAutoencoder(6, 8, new TopKActivation(3), seed: 5) };
        var trainer = new SaeTrainer(new SaeTrainerOptions { BatchSize = 5, TotalTokens = 5 }, [new MutualFeatureRegularizer(new MutualFeatureOptions { WarmupSteps = 0 })]);
        var result = trainer.ComputeGradients(saes, TestData.GaussianMatrix(5, 6, seed: 4));
        result.RegularizerLosses.Should().ContainKey("MFR").WhoseValue.Should().BeGreaterThan(0);
        result.Gradients.Should().HaveCount(2);
        FluentActions.Invoking(() => trainer.ComputeGradients(saes[0], TestData.GaussianMatrix(5, 6, seed: 4)))
            .Should().Throw<ArgumentException>().WithMessage("*needs at least 2*");
    }
}
