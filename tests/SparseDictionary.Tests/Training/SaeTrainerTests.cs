using SparseDictionary.Kernels;
using Microsoft.Extensions.Options;
using SparseDictionary.Regularization;
using SparseDictionary.Tests.Support;
using SparseDictionary.Metrics;

namespace SparseDictionary.Tests.Training;

public class SaeTrainerTests
{
    private static SyntheticFeatureSource SmallSource(int seed = 1) => new(new SyntheticFeatureOptions
    {
        InputDimension = 64,
        FeatureCount = 128,
        GroupCount = 4,
        ActiveFeatures = 5,
        Seed = seed,
    });

    private static SaeTrainerOptions SmallOptions(long tokens = 20_480) => new()
    {
        LearningRate = 5e-3f,
        BatchSize = 1024,
        TotalTokens = tokens,
        ProgressIntervalSteps = 1,
    };

    private static float[] Snapshot(SparseAutoencoder sae) =>
        [.. sae.EncoderWeights.Span, .. sae.EncoderBias.Span, .. sae.DecoderWeights.Span, .. sae.DecoderBias.Span];

    [Fact]
    public void Train_RecoversGroundTruthFeatures()
    {
        // d = 64, 128 features in 4 groups, 5 active per sample; 128 latents, k = 5; 300k samples.
        // Measured on this code: MMCS(ground truth -> decoder) = 0.947 and 82% of features recovered at cos > 0.9
        // (seed 0 of the sample program); the bounds leave room for seed-to-seed variation.
        var source = SmallSource();
        var sae = new SparseAutoencoder(64, 128, new TopKActivation(5), seed: 0);
        var result = new SaeTrainer(SmallOptions(300_000)).Train(sae, source);

        var matches = FeatureSimilarity.MaxCosinePerRow(source.GroundTruthFeatures, sae.DecoderWeights);
        matches.Mean.Should().BeGreaterThan(0.90);
        matches.ShareAbove(0.9).Should().BeGreaterThan(0.6);
        result.LastProgress!.Saes[0].FractionOfVarianceUnexplained.Should().BeLessThan(0.15);
        result.Steps.Should().Be(292);
    }

    [Fact]
    public void Train_IsBitIdenticalAcrossRuns()
    {
        float[] Run()
        {
            var sae = new SparseAutoencoder(64, 96, new TopKActivation(5), seed: 4);
            var auxK = new AuxKRegularizer(new AuxKOptions { KAux = 16, DeadWindowTokens = 2048 });
            new SaeTrainer(SmallOptions(), [auxK]).Train(sae, SmallSource());
            return Snapshot(sae);
        }

        Run().Should().Equal(Run());
    }

    [KernelPathFact(SparseDictionary.Kernels.KernelPath.Avx512Fma)]
    public void Train_IsBitIdenticalOnTheAvx2AndAvx512Paths()
    {
        // d = 160 and 96 latents reach the 512-bit code of every kernel (12 x 32 GEMM blocks, 128-column decode blocks,
        // 32-lane dots, 64-column weight gradients, 16-lane top-k) and its tails; AuxK adds the dead-latent pass.
        float[] Run(SparseDictionary.Kernels.KernelPath path)
        {
            using var _ = SparseDictionary.Kernels.KernelPaths.Force(path);
            var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = 160, FeatureCount = 200, GroupCount = 4, ActiveFeatures = 6, Seed = 3 });
            var sae = new SparseAutoencoder(160, 96, new TopKActivation(6), seed: 5);
            var auxK = new AuxKRegularizer(new AuxKOptions { KAux = 16, DeadWindowTokens = 1000 });
            new SaeTrainer(new SaeTrainerOptions { LearningRate = 5e-3f, BatchSize = 500, TotalTokens = 10_000 }, [auxK]).Train(sae, source);
            return Snapshot(sae);
        }

        var avx512 = Run(SparseDictionary.Kernels.KernelPath.Avx512Fma);
        var avx2 = Run(SparseDictionary.Kernels.KernelPath.Avx2Fma);

        Array.ConvertAll(avx512, BitConverter.SingleToInt32Bits).Should().Equal(Array.ConvertAll(avx2, BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Train_WithAStreamedTopKEncoder_GivesTheBitsOfWholeRowBlocks()
    {
        // 2800 latents: the TopK encoder streams (column chunks, running top k, AuxK's dead selection alongside); the
        // same TopK behind another type takes whole-row blocks. A short dead window makes AuxK active after a few steps.
        (float[] Weights, double AuxKLoss) Run(IActivation activation)
        {
            var sae = new SparseAutoencoder(32, 2800, activation, seed: 8);
            var auxK = new AuxKRegularizer(new AuxKOptions { KAux = 16, DeadWindowTokens = 1024 });
            var result = new SaeTrainer(new SaeTrainerOptions { LearningRate = 5e-3f, BatchSize = 512, TotalTokens = 6 * 512 }, [auxK])
                .Train(sae, new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = 32, FeatureCount = 64, GroupCount = 4, ActiveFeatures = 4, Seed = 3 }));
            return (Snapshot(sae), result.LastProgress!.RegularizerLosses.Values.Sum());
        }

        var streamed = new SparseAutoencoder(32, 2800, new TopKActivation(8), seed: 8);
        EncoderPass.StreamsTopK(streamed).Should().Be(8);
        var (streamedWeights, auxKLoss) = Run(new TopKActivation(8));
        var (wholeWeights, _) = Run(new OpaqueActivation(new TopKActivation(8)));
        auxKLoss.Should().BeGreaterThan(0, "AuxK must have dead latents to select among");
        streamedWeights.Select(BitConverter.SingleToInt32Bits).Should().Equal(wholeWeights.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Train_SeveralSaesTogether_EqualsTrainingEachAlone()
    {
        SparseAutoencoder[] Make() => [new(64, 96, new TopKActivation(5), seed: 1), new(64, 128, new ReLUActivation(), seed: 2)];
        var together = Make();
        new SaeTrainer(SmallOptions()).Train(together, SmallSource());
        var alone = Make();
        foreach (var sae in alone)
        {
            new SaeTrainer(SmallOptions()).Train(sae, SmallSource());
        }

        Snapshot(together[0]).Should().Equal(Snapshot(alone[0]));
        Snapshot(together[1]).Should().Equal(Snapshot(alone[1]));
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Train_WithoutRegularizers_FusedUpdate_GivesTheBitsOfTheSeparatePasses(SparseDictionary.Kernels.KernelPath path)
    {
        // Without a regularizer the trainer fuses the backward pass with the update (per latent, gradient rows in
        // scratch); a regularizer that adds nothing makes it run them separately. The weights, biases and progress
        // figures must agree bit for bit: d = 64 with one row tile (scratch) and with several (a small dictionary and
        // 1024-row batches: rows from the arrays), a ReLU SAE alongside, and d = 20 (not a multiple of 8: not fused).
        using var _ = SparseDictionary.Kernels.KernelPaths.Force(path);
        (float[][] Weights, double Loss) Run(int d, bool silent)
        {
            SparseAutoencoder[] saes = [new(d, 96, new TopKActivation(5), seed: 1), new(d, 32, new TopKActivation(8), seed: 2), new(d, 48, new ReLUActivation(), seed: 3)];
            var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = d, FeatureCount = 2 * d, GroupCount = 4, ActiveFeatures = 5, Seed = 4 });
            var result = new SaeTrainer(SmallOptions(8 * 1024), silent ? [new SilentRegularizer()] : []).Train(saes, source);
            return ([.. saes.Select(Snapshot)], result.LastProgress!.Loss);
        }

        foreach (var d in new[] { 64, 20 })
        {
            var (fused, fusedLoss) = Run(d, silent: false);
            var (separate, separateLoss) = Run(d, silent: true);
            for (var i = 0; i < fused.Length; i++)
            {
                fused[i].Select(BitConverter.SingleToInt32Bits).Should().Equal(separate[i].Select(BitConverter.SingleToInt32Bits), $"SAE {i}, d = {d}, path {path}");
            }

            fusedLoss.Should().Be(separateLoss);
        }
    }

    [Fact]
    public void Train_ANonFiniteLossWithoutRegularizers_ThrowsAndKeepsThePreviousStep()
    {
        // The fused update runs only after the loss is known to be finite: the step whose codes (valid, but float.MaxValue
        // on every latent) make the reconstruction overflow updates nothing.
        var options = new SaeTrainerOptions { LearningRate = 5e-3f, BatchSize = 256, TotalTokens = 3 * 256 };
        var sae = new SparseAutoencoder(64, 96, new OverflowAfterActivation(new TopKActivation(5), goodRows: 2 * 256), seed: 1);
        var act = () => new SaeTrainer(options).Train(sae, SmallSource());
        act.Should().Throw<InvalidOperationException>().Which.Message.Should().Contain("diverged at step 2");

        options.TotalTokens = 2 * 256;
        var reference = new SparseAutoencoder(64, 96, new TopKActivation(5), seed: 1);
        new SaeTrainer(options).Train(reference, SmallSource());
        Snapshot(sae).Should().Equal(Snapshot(reference));
    }

    [Fact]
    public void Train_NaNCodesFromTheActivation_ThrowNamingItAndKeepThePreviousStep()
    {
        // A code value the activation made NaN is rejected where the activation returns, before any loss or update.
        var options = new SaeTrainerOptions { LearningRate = 5e-3f, BatchSize = 256, TotalTokens = 3 * 256 };
        var sae = new SparseAutoencoder(64, 96, new NaNAfterActivation(new TopKActivation(5), goodRows: 2 * 256), seed: 1);
        var act = () => new SaeTrainer(options).Train(sae, SmallSource());
        act.Should().Throw<InvalidOperationException>().Which.Message.Should().Contain("activation TopK(k=5) returned the value NaN");

        options.TotalTokens = 2 * 256;
        var reference = new SparseAutoencoder(64, 96, new TopKActivation(5), seed: 1);
        new SaeTrainer(options).Train(reference, SmallSource());
        Snapshot(sae).Should().Equal(Snapshot(reference));
    }

    [Fact]
    public void Train_WithUserDefinedActivation_LowersTheLoss()
    {
        var sae = new SparseAutoencoder(64, 96, new SoftplusTopKActivation(5), seed: 3);
        var reports = new List<TrainingProgress>();
        new SaeTrainer(SmallOptions(40_960)).Train(sae, SmallSource(), new ListProgress(reports));
        reports.Should().HaveCount(40);
        reports[^1].Saes[0].FractionOfVarianceUnexplained.Should().BeLessThan(0.6 * reports[0].Saes[0].FractionOfVarianceUnexplained);
        reports[^1].Saes[0].MeanL0.Should().Be(5);
    }

    [Fact]
    public void Train_KeepsDecoderRowsUnitNorm()
    {
        var sae = new SparseAutoencoder(64, 96, new TopKActivation(5), seed: 3);
        new SaeTrainer(SmallOptions()).Train(sae, SmallSource());
        for (var i = 0; i < sae.LatentCount; i++)
        {
            var norm = Math.Sqrt(sae.DecoderWeights.Row(i).ToArray().Sum(v => (double)v * v));
            norm.Should().BeApproximately(1, 1e-5);
        }
    }

    [Fact]
    public void Train_CountsLatentsThatNeverFireAsDead()
    {
        var sae = new SparseAutoencoder(64, 100, new TopKActivation(5), seed: 3);
        sae.EncoderBias.Span[..4].Fill(-1e6f);
        var reports = new List<TrainingProgress>();
        var options = SmallOptions();
        options.DeadLatentWindowTokens = 5000;
        options.LearningRate = 1e-4f;
        new SaeTrainer(options).Train(sae, SmallSource(), new ListProgress(reports));
        reports[3].Saes[0].DeadLatentFraction.Should().Be(0, "4096 tokens are fewer than the 5000-token window");
        reports[4].Saes[0].DeadLatentFraction.Should().BeGreaterThanOrEqualTo(0.04, "latents 0-3 can never win the TopK");
    }

    [Fact]
    public void Train_ReportsProgressAndStopsCleanlyOnCancellation()
    {
        using var cancellation = new CancellationTokenSource();
        var reports = new List<TrainingProgress>();
        var progress = new ListProgress(reports, p =>
        {
            if (p.Step == 3)
            {
                cancellation.Cancel();
            }
        });
        var sae = new SparseAutoencoder(64, 96, new TopKActivation(5));
        var result = new SaeTrainer(SmallOptions()).Train(sae, SmallSource(), progress, cancellation.Token);
        result.Cancelled.Should().BeTrue();
        result.Steps.Should().Be(3);
        result.Tokens.Should().Be(3 * 1024);
        reports.Select(r => r.Step).Should().Equal(1, 2, 3);
        reports[^1].TotalSteps.Should().Be(20);
        reports[^1].TokensPerSecond.Should().BePositive();
    }

    [Fact]
    public void Train_StopsWhenANonLoopingSourceRunsOut()
    {
        var data = TestData.GaussianMatrix(2500, 16, 1);
        var sae = new SparseAutoencoder(16, 32, new TopKActivation(4));
        var options = new SaeTrainerOptions { BatchSize = 1000, TotalTokens = 10_000 };
        var result = new SaeTrainer(options).Train(sae, new InMemoryActivationSource(data, loop: false));
        result.SourceExhausted.Should().BeTrue();
        result.Steps.Should().Be(2);
    }

    [Theory]
    [InlineData(nameof(SaeTrainerOptions.LearningRate), "0")]
    [InlineData(nameof(SaeTrainerOptions.LearningRate), "-0.001")]
    [InlineData(nameof(SaeTrainerOptions.BatchSize), "0")]
    [InlineData(nameof(SaeTrainerOptions.Beta2), "1")]
    [InlineData(nameof(SaeTrainerOptions.DecayFraction), "1.5")]
    [InlineData(nameof(SaeTrainerOptions.TotalTokens), "10")]
    public void Constructor_RejectsABadOption_NamingItAndItsValue(string option, string value)
    {
        var options = new SaeTrainerOptions();
        var property = typeof(SaeTrainerOptions).GetProperty(option)!;
        property.SetValue(options, Convert.ChangeType(value, property.PropertyType, System.Globalization.CultureInfo.InvariantCulture));
        var act = () => new SaeTrainer(options);
        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain($"SaeTrainerOptions.{option}").And.Contain($"but is {value}");
    }

    [Fact]
    public void Constructor_AcceptsOptionsFromMicrosoftExtensionsOptions()
    {
        var trainer = new SaeTrainer(Microsoft.Extensions.Options.Options.Create(new SaeTrainerOptions { LearningRate = 1e-3f }));
        trainer.Options.LearningRate.Should().Be(1e-3f);
    }

    [Fact]
    public void Train_RejectsNaNInABatch_NamingIt_AndLeavesTheModelUnchanged()
    {
        var data = TestData.GaussianMatrix(64, 16, 2);
        data[2, 3] = float.NaN;
        var sae = new SparseAutoencoder(16, 32, new TopKActivation(4));
        var before = Snapshot(sae);
        var trainer = new SaeTrainer(new SaeTrainerOptions { BatchSize = 32, TotalTokens = 64 });
        var act = () => trainer.Train(sae, new InMemoryActivationSource(data));
        act.Should().Throw<InvalidDataException>().Which.Message.Should().Contain("NaN at row 2, column 3").And.Contain("step 0");
        Snapshot(sae).Should().Equal(before);
    }

    [Fact]
    public void Train_RejectsInfinityInALaterBatch_KeepingThePreviousStep()
    {
        var data = TestData.GaussianMatrix(64, 16, 3);
        data[40, 5] = float.PositiveInfinity;
        var options = new SaeTrainerOptions { BatchSize = 32, TotalTokens = 64 };
        var sae = new SparseAutoencoder(16, 32, new TopKActivation(4));
        var act = () => new SaeTrainer(options).Train(sae, new InMemoryActivationSource(data));
        act.Should().Throw<InvalidDataException>().Which.Message.Should().Contain("Infinity at row 8, column 5").And.Contain("step 1");

        options.TotalTokens = 32;
        var reference = new SparseAutoencoder(16, 32, new TopKActivation(4));
        new SaeTrainer(options).Train(reference, new InMemoryActivationSource(data));
        Snapshot(sae).Should().Equal(Snapshot(reference));
    }

    [Fact]
    public void Train_RejectsAWidthMismatch_NamingBothWidths()
    {
        var sae = new SparseAutoencoder(8, 16, new TopKActivation(2));
        var before = Snapshot(sae);
        var act = () => new SaeTrainer(new SaeTrainerOptions { BatchSize = 4, TotalTokens = 8 }).Train(sae, new InMemoryActivationSource(TestData.GaussianMatrix(10, 7, 1)));
        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain("input dimension 8").And.Contain("7 columns");
        Snapshot(sae).Should().Equal(before);
    }

    [Fact]
    public void Train_RejectsTheSameSaeTwice()
    {
        var sae = new SparseAutoencoder(8, 16, new TopKActivation(2));
        var act = () => new SaeTrainer(new SaeTrainerOptions { BatchSize = 4, TotalTokens = 8 }).Train([sae, sae], new InMemoryActivationSource(TestData.GaussianMatrix(10, 8, 1)));
        act.Should().Throw<ArgumentException>().WithMessage("*same instance*");
    }

    [Fact]
    public void Train_InitialisesTheDecoderBiasFromTheFirstBatch()
    {
        var data = TestData.GaussianMatrix(32, 8, 5);
        var sae = new SparseAutoencoder(8, 16, new TopKActivation(2));
        var options = new SaeTrainerOptions { BatchSize = 32, TotalTokens = 32, DecoderBiasInitialization = DecoderBiasInitialization.Mean, LearningRate = 1e-9f };
        new SaeTrainer(options).Train(sae, new InMemoryActivationSource(data));
        for (var c = 0; c < 8; c++)
        {
            var mean = Enumerable.Range(0, 32).Average(r => (double)data[r, c]);
            sae.DecoderBias.Span[c].Should().BeApproximately((float)mean, 1e-5f, "one step at lr 1e-9 barely moves b_dec");
        }
    }
}
