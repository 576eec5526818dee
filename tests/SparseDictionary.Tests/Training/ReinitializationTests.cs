using Microsoft.Extensions.Options;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Training;

public class ReinitializationTests
{
    private const int Batch = 512;

    [Fact]
    public void InactivityDeviation_MatchesTheFormulaOnHandCases()
    {
        // f = (0, 0.5, 0.5, 1), p = 0.5: relative deviations 1, 0, 0, 1.
        InactivityDeviation.Compute([0, 0.5, 0.5, 1], 0.5, InactivityMeasure.Linear).Should().Be(0.5);
        InactivityDeviation.Compute([0, 0.5, 0.5, 1], 0.5, InactivityMeasure.Cubed).Should().Be(0.5);

        // f = (0, 0, 0, 1), p = 0.25: relative deviations 1, 1, 1, 3 -> linear 6/4, cubed (1 + 1 + 1 + 27)/4.
        InactivityDeviation.Compute([0, 0, 0, 1], 0.25, InactivityMeasure.Linear).Should().Be(1.5);
        InactivityDeviation.Compute([0, 0, 0, 1], 0.25, InactivityMeasure.Cubed).Should().Be(7.5);
        InactivityDeviation.Compute([0.1, 0.1], 0.1, InactivityMeasure.Linear).Should().Be(0);

        // From counts over 4 rows: f = (0, 0, 0, 1) with the mean frequency 0.25 as p.
        InactivityDeviation.FromCounts([0, 0, 0, 4], 4, InactivityMeasure.Linear).Should().Be(1.5);
        InactivityDeviation.FromCounts([0, 0, 0, 0], 4, InactivityMeasure.Linear).Should().Be(0);

        ((Action)(() => InactivityDeviation.Compute([], 0.5, InactivityMeasure.Linear))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*empty*");
        ((Action)(() => InactivityDeviation.Compute([0.5], 0, InactivityMeasure.Linear))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*> 0 but is 0*");
    }

    [Fact]
    public void Reinitialization_ResetsWeightsAndOptimizerState()
    {
        // Run A reinitialises the SAE after step 0 (threshold 0) and trains 3 more steps. Run B starts a fresh SAE from
        // the reported seed with b_dec from batch 0 and trains on batches 1-3. With a constant learning rate the two
        // must agree bit for bit, which holds only if the weights, the AdamW moments and step count, and the firing
        // history were all reset.
        var data = TestData.GaussianMatrix(4 * Batch, 32, 5);
        var reinitialized = Sae(seed: 1);
        var options = Options(4 * Batch);
        options.Reinitialization = new ReinitializationOptions { Steps = 1, Threshold = 0 };
        var result = new SaeTrainer(options).Train(reinitialized, new InMemoryActivationSource(data));

        result.Reinitializations.Should().ContainSingle();
        var reinitialization = result.Reinitializations[0];
        reinitialization.Step.Should().Be(0);
        reinitialization.SaeIndex.Should().Be(0);
        reinitialization.Deviation.Should().BePositive();

        var fresh = Sae(seed: reinitialization.Seed);
        fresh.InitializeDecoderBias(data.SliceRows(0, Batch), DecoderBiasInitialization.GeometricMedian);
        var rest = Options(3 * Batch);
        rest.DecoderBiasInitialization = DecoderBiasInitialization.None;
        new SaeTrainer(rest).Train(fresh, new InMemoryActivationSource(data.SliceRows(Batch, 3 * Batch)));

        reinitialized.DecoderWeights.Span.ToArray().Should().Equal(fresh.DecoderWeights.Span.ToArray());
        reinitialized.EncoderWeights.Span.ToArray().Should().Equal(fresh.EncoderWeights.Span.ToArray());
        reinitialized.EncoderBias.Span.ToArray().Should().Equal(fresh.EncoderBias.Span.ToArray());
        reinitialized.DecoderBias.Span.ToArray().Should().Equal(fresh.DecoderBias.Span.ToArray());
    }

    [Fact]
    public void Reinitialization_IsReportedThroughProgressOnlyDuringTheFirstSteps()
    {
        var reports = new List<TrainingProgress>();
        var options = Options(8 * Batch);
        options.ProgressIntervalSteps = 100;
        options.Reinitialization = new ReinitializationOptions { Steps = 3, Threshold = 0, Measure = InactivityMeasure.Cubed };
        var result = new SaeTrainer(options).Train([Sae(1), Sae(2)], Source(), new ListProgress(reports));

        // Every step of the first 3 reinitialises both SAEs; each such step is reported although the interval is 100.
        result.Reinitializations.Select(e => (e.Step, e.SaeIndex)).Should().Equal((0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1));
        result.Reinitializations.Select(e => e.Seed).Should().OnlyHaveUniqueItems();
        reports.Select(r => r.Step).Should().Equal(1, 2, 3, 8);
        reports.Take(3).Should().AllSatisfy(r => r.Reinitializations.Should().HaveCount(2));
        reports[^1].Reinitializations.Should().BeEmpty();
        reports[^1].Saes.Select(s => s.Reinitializations).Should().Equal(3, 3);
    }

    [Fact]
    public void Reinitialization_IsDeterministicAndDoesNothingBelowTheThreshold()
    {
        float[] Run(ReinitializationOptions? reinitialization)
        {
            var sae = Sae(3);
            var options = Options(6 * Batch);
            options.Reinitialization = reinitialization;
            options.Seed = 7;
            new SaeTrainer(options).Train(sae, Source());
            return sae.DecoderWeights.Span.ToArray();
        }

        var plain = Run(null);
        Run(new ReinitializationOptions { Steps = 6, Threshold = 1e9 }).Should().Equal(plain, "a threshold never reached changes nothing");
        var reinitialized = Run(new ReinitializationOptions { Steps = 2, Threshold = 0 });
        reinitialized.Should().NotEqual(plain);
        Run(new ReinitializationOptions { Steps = 2, Threshold = 0 }).Should().Equal(reinitialized, "the new weights come from derived seeds");
    }

    [Fact]
    public void BadReinitializationOptions_AreNamedWithTheirValues()
    {
        var options = Options(Batch);
        options.Reinitialization = new ReinitializationOptions { Steps = 0, Threshold = double.NaN, Measure = (InactivityMeasure)7 };
        var act = () => new SaeTrainer(options);
        act.Should().Throw<OptionsValidationException>()
            .WithMessage("*Reinitialization.Steps must be at least 1 but is 0*")
            .WithMessage("*Reinitialization.Threshold must be finite and >= 0 but is NaN*")
            .WithMessage("*Reinitialization.Measure must be Linear or Cubed but is 7*");

        var denoising = Options(Batch);
        denoising.DenoisingWeight = -1;
        ((Action)(() => _ = new SaeTrainer(denoising))).Should().Throw<OptionsValidationException>().WithMessage("*DenoisingWeight must be finite and >= 0 but is -1*");
    }

    [Fact]
    public void Options_CloneCopiesTheReinitializationOptions()
    {
        var options = Options(Batch);
        options.Reinitialization = new ReinitializationOptions { Threshold = 2 };
        var trainer = new SaeTrainer(options);
        options.Reinitialization.Threshold = 5;
        trainer.Options.Reinitialization!.Threshold.Should().Be(2);
    }

    private static SparseAutoencoder Sae(int seed) => new(32, 48, new TopKActivation(4), seed: seed);

    private static SaeTrainerOptions Options(long tokens) => new() { LearningRate = 3e-3f, BatchSize = Batch, TotalTokens = tokens, DecayFraction = 0 };

    private static SyntheticFeatureSource Source() => new(new SyntheticFeatureOptions { InputDimension = 32, FeatureCount = 64, GroupCount = 4, ActiveFeatures = 4, Seed = 2 });
}
