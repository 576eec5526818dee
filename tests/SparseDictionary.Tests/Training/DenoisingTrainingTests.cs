using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Training;

/// <summary>Denoising training end to end (its gradient is checked in <see cref="GradientCheckTests"/>).</summary>
public class DenoisingTrainingTests
{
    [Fact]
    public void Training_ReportsBothTermsAndTheLossIsTheirWeightedSum()
    {
        var reports = new List<TrainingProgress>();
        var options = new SaeTrainerOptions { LearningRate = 5e-3f, BatchSize = 1024, TotalTokens = 30 * 1024, ProgressIntervalSteps = 1, DenoisingWeight = 0.5f };
        var trainer = new SaeTrainer(options, noiser: new DropoutNoiser(0.2, seed: 3));
        trainer.Train(new SparseAutoencoder(64, 96, new TopKActivation(5), seed: 1), Source(), new ListProgress(reports));

        foreach (var report in reports)
        {
            var sae = report.Saes[0];
            sae.DenoisingLoss.Should().NotBeNull();
            report.Loss.Should().BeApproximately(sae.ReconstructionLoss + (0.5 * sae.DenoisingLoss!.Value), 1e-9 * report.Loss);
        }

        // Both reconstructions improve; the one from dropped-out inputs stays the harder one. Measured on this code:
        // clean 79.1 -> 52.9 and noised 89.6 -> 59.8 per row over the 30 steps (both to 0.67 of the first).
        reports[^1].Saes[0].ReconstructionLoss.Should().BeLessThan(0.75 * reports[0].Saes[0].ReconstructionLoss);
        reports[^1].Saes[0].DenoisingLoss.Should().BeLessThan(0.75 * reports[0].Saes[0].DenoisingLoss!.Value);
        reports[^1].Saes[0].DenoisingLoss.Should().BeGreaterThan(reports[^1].Saes[0].ReconstructionLoss);
    }

    [Fact]
    public void Training_WithoutNoiser_ReportsNoDenoisingLoss()
    {
        var result = new SaeTrainer(new SaeTrainerOptions { BatchSize = 256, TotalTokens = 512 })
            .Train(new SparseAutoencoder(64, 96, new TopKActivation(5)), Source());
        result.LastProgress!.Saes[0].DenoisingLoss.Should().BeNull();
    }

    [Fact]
    public void Training_IsBitIdenticalAcrossRunsAndLeavesTheSourceDataUnchanged()
    {
        var data = TestData.GaussianMatrix(2048, 64, 8);
        var copy = data.Span.ToArray();
        float[] Run()
        {
            var sae = new SparseAutoencoder(64, 96, new TopKActivation(5), seed: 2);
            var options = new SaeTrainerOptions { LearningRate = 3e-3f, BatchSize = 256, TotalTokens = 2048 };
            new SaeTrainer(options, noiser: new GaussianNoiser(0.3f, seed: 4)).Train(sae, new InMemoryActivationSource(data, shuffle: true));
            return sae.DecoderWeights.Span.ToArray();
        }

        Run().Should().Equal(Run());
        data.Span.ToArray().Should().Equal(copy);
    }

    [Fact]
    public void NonFiniteNoise_StopsTrainingAndNamesTheNoiser()
    {
        var sae = new SparseAutoencoder(64, 96, new TopKActivation(5));
        var before = sae.DecoderWeights.Span.ToArray();
        var trainer = new SaeTrainer(new SaeTrainerOptions { BatchSize = 256, TotalTokens = 512 }, noiser: new BrokenNoiser());
        var act = () => trainer.Train(sae, Source());
        act.Should().Throw<InvalidOperationException>().WithMessage("*Broken*NaN*row 3, column 5*step 0*");
        sae.DecoderWeights.Span.ToArray().Should().Equal(before);
    }

    private static SyntheticFeatureSource Source() => new(new SyntheticFeatureOptions { InputDimension = 64, FeatureCount = 128, GroupCount = 4, ActiveFeatures = 5, Seed = 1 });

    private sealed class BrokenNoiser : INoiser
    {
        public string Name => "Broken";

        public void Apply(Matrix clean, Matrix destination, long step)
        {
            clean.Span.CopyTo(destination.Span);
            destination[3, 5] = float.NaN;
        }
    }
}
