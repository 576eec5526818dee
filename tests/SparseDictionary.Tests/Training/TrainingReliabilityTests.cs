using SparseDictionary.Regularization;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Training;

/// <summary>
/// No step produces or hides non-finite weights; a failure leaves every SAE at its last completed step (b_dec too at
/// step 0); what can be checked is checked before anything changes; sources too short to train are refused.
/// </summary>
public sealed class TrainingReliabilityTests
{
    private const int D = 16;
    private const int Batch = 32;

    [Theory]
    [InlineData("encoder.weight", 0)]
    [InlineData("encoder.bias", 1)]
    [InlineData("decoder.weight", 2)]
    [InlineData("decoder.bias", 3)]
    public void Train_RefusesNonFiniteStartingWeights_NamingTheParameter(string parameter, int which)
    {
        var sae = Sae();
        var span = which switch
        {
            0 => sae.EncoderWeights.Span,
            1 => sae.EncoderBias.Span,
            2 => sae.DecoderWeights.Span,
            _ => sae.DecoderBias.Span,
        };
        span[which == 3 ? 2 : 5] = which % 2 == 0 ? float.NaN : float.PositiveInfinity;
        var before = WeightBits.Of(sae);

        var act = () => new SaeTrainer(Options()).Train([Sae(seed: 9), sae], Source());
        act.Should().Throw<ArgumentException>().WithMessage($"SAE 1's {parameter}*");
        WeightBits.Of(sae).Should().Equal(before);
    }

    [Theory]
    [InlineData(1e30f)]
    [InlineData(1e37f)]
    public void HugeFiniteData_IsRefusedBeforeAnyUpdate(float scale)
    {
        var sae = Sae();
        var before = WeightBits.Of(sae);
        var act = () => new SaeTrainer(Options()).Train(sae, Source(scale));
        act.Should().Throw<InvalidOperationException>().WithMessage("Step 0, SAE 0: the gradient of *");
        WeightBits.Of(sae).Should().Equal(before, "b_dec, set from the first batch, is put back when step 0 fails");
    }

    [Theory]
    [InlineData(1e35f, 0f)]
    [InlineData(1e-3f, 1e33f)]
    public void AbsurdLearningRateOrWeightDecay_IsRefusedBeforeAnyUpdate(float learningRate, float weightDecay)
    {
        var sae = Sae();
        var before = WeightBits.Of(sae);
        var options = Options();
        options.LearningRate = learningRate;
        options.WeightDecay = weightDecay;
        var act = () => new SaeTrainer(options).Train(sae, Source());
        act.Should().Throw<InvalidOperationException>().WithMessage("Step 0, SAE 0: AdamW could take *");
        WeightBits.Of(sae).Should().Equal(before);
        AllFinite(sae).Should().BeTrue();
    }

    [Fact]
    public void RegularizerWritingNaN_FailsTheStep_AndKeepsTheLastCompletedStep()
    {
        // Reference: the same run stopped after 3 steps.
        var reference = Sae();
        var options = Options();
        using (var stop = new CancellationTokenSource())
        {
            var partial = new SaeTrainer(options, [new PoisonRegularizer(poisonFromStep: int.MaxValue, stop, cancelAfterCalls: 3)]).Train(reference, Source(), cancellationToken: stop.Token);
            partial.Steps.Should().Be(3);
        }

        var sae = Sae();
        var act = () => new SaeTrainer(options, [new PoisonRegularizer(poisonFromStep: 3)]).Train(sae, Source());
        act.Should().Throw<InvalidOperationException>().WithMessage("Step 3, SAE 0: the gradient of decoder.weight (W_dec) is NaN at row 1, column 2*");
        WeightBits.Of(sae).Should().Equal(WeightBits.Of(reference));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OneSaeFailingTheGuard_LeavesEverySaeAtTheLastCompletedStep(bool withRegularizer)
    {
        // SAE 1's activation writes a NaN pre-activation gradient from step 2 on; SAE 0 is healthy. Both run in one step
        // (concurrently), so SAE 0 must not be updated when SAE 1's check fails.
        IRegularizer[] regularizers = withRegularizer ? [new PoisonRegularizer(poisonFromStep: int.MaxValue)] : [];
        var options = Options();
        SparseAutoencoder[] Pair() => [Sae(seed: 1), new SparseAutoencoder(D, 24, new NaNBackwardActivation(new TopKActivation(3), fromCall: 2 * Batch), seed: 2)];
        var reference = Pair();
        using (var stop = new CancellationTokenSource())
        {
            new SaeTrainer(options, [.. regularizers, new PoisonRegularizer(int.MaxValue, stop, cancelAfterCalls: 2)]).Train(reference, Source(), cancellationToken: stop.Token);
        }

        var saes = Pair();
        var act = () => new SaeTrainer(options, regularizers).Train(saes, Source());
        act.Should().Throw<InvalidOperationException>().WithMessage("Step 2, SAE 1:*");
        WeightBits.Of(saes[0]).Should().Equal(WeightBits.Of(reference[0]));
        WeightBits.Of(saes[1]).Should().Equal(WeightBits.Of(reference[1]));
    }

    [Fact]
    public void MfrWithOneSae_IsRefusedBeforeAnythingChanges()
    {
        var sae = Sae();
        var before = WeightBits.Of(sae);
        var act = () => new SaeTrainer(Options(), [new MutualFeatureRegularizer()]).Train(sae, Source());
        act.Should().Throw<ArgumentException>().WithMessage("*needs at least 2*given 1*");
        WeightBits.Of(sae).Should().Equal(before);
    }

    [Fact]
    public void NoiserOverflowAtStepZero_PutsTheDecoderBiasBack()
    {
        var sae = Sae();
        var before = WeightBits.Of(sae);
        var act = () => new SaeTrainer(Options(), noiser: new OverflowingNoiser()).Train(sae, Source());
        act.Should().Throw<InvalidOperationException>().WithMessage("The noiser Overflow produced*");
        WeightBits.Of(sae).Should().Equal(before);
    }

    [Fact]
    public void NaNActivationOutputAtStepZero_PutsTheDecoderBiasBack()
    {
        var sae = new SparseAutoencoder(D, 24, new NaNAfterActivation(new TopKActivation(3), goodRows: 0), seed: 1);
        var before = WeightBits.Of(sae);
        var act = () => new SaeTrainer(Options()).Train(sae, Source());
        act.Should().Throw<Exception>();
        WeightBits.Of(sae).Should().Equal(before);
    }

    [Fact]
    public void EmptySource_IsRefused()
    {
        var act = () => new SaeTrainer(Options()).Train(Sae(), new EmptySource());
        act.Should().Throw<InvalidOperationException>().WithMessage("The source yielded 0 rows and then ended*BatchSize = 32*");
    }

    [Fact]
    public void OnePassSourceShorterThanABatch_IsRefusedBeforeAnythingChanges()
    {
        var sae = Sae();
        var before = WeightBits.Of(sae);
        var source = new InMemoryActivationSource(TestData.GaussianMatrix(Batch - 1, D, seed: 2), loop: false);
        var act = () => new SaeTrainer(Options()).Train(sae, source);
        act.Should().Throw<ArgumentException>().WithMessage("The source holds 31 rows but one step needs BatchSize = 32*");
        WeightBits.Of(sae).Should().Equal(before);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(Batch + 1)]
    public void SourceReturningAnImpossibleRowCount_IsRefused(int count)
    {
        var sae = Sae();
        var before = WeightBits.Of(sae);
        var options = Options();
        options.PrefetchSource = false;
        var act = () => new SaeTrainer(options).Train(sae, new LyingSource(count));
        act.Should().Throw<InvalidOperationException>().WithMessage($"The source LyingSource returned {count} rows for a batch of 32*");
        WeightBits.Of(sae).Should().Equal(before);
    }

    [Fact]
    public void OnePassSourceEndingMidRun_ReportsExhaustion()
    {
        var source = new InMemoryActivationSource(TestData.GaussianMatrix((3 * Batch) + 5, D, seed: 2), loop: false);
        var result = new SaeTrainer(Options()).Train(Sae(), source);
        result.Steps.Should().Be(3);
        result.SourceExhausted.Should().BeTrue();
        result.LastProgress.Should().NotBeNull();
    }

    private static SaeTrainerOptions Options() => new() { LearningRate = 1e-2f, BatchSize = Batch, TotalTokens = 8 * Batch, ProgressIntervalSteps = 1 };

    private static SparseAutoencoder Sae(int seed = 1) => new(D, 24, new TopKActivation(3), seed);

    private static InMemoryActivationSource Source(float scale = 1f) => new(TestData.GaussianMatrix(200, D, seed: 3, scale), shuffle: true, seed: 1);

    private static bool AllFinite(SparseAutoencoder sae) => WeightBits.Of(sae).All(bits => float.IsFinite(BitConverter.Int32BitsToSingle(bits)));

    /// <summary>
    /// Adds nothing until <paramref name="poisonFromStep"/>, then writes a NaN into SAE 0's decoder gradient at row 1,
    /// column 2; optionally cancels <paramref name="stop"/> after a number of calls.
    /// </summary>
    private sealed class PoisonRegularizer(int poisonFromStep, CancellationTokenSource? stop = null, int cancelAfterCalls = 0) : IRegularizer
    {
        private int _calls;

        public string Name => "Poison";

        public DeadLatentSelection? DeadLatentSelection => null;

        public void Reset()
        {
        }

        public double Apply(RegularizerContext context)
        {
            if (context.Step >= poisonFromStep)
            {
                context.Saes[0].Gradients.DecoderWeights[1, 2] = float.NaN;
            }

            if (++_calls == cancelAfterCalls)
            {
                stop?.Cancel();
            }

            return 0;
        }
    }

    /// <summary>Another activation whose backward writes NaN once it has been called for <paramref name="fromCall"/> rows.</summary>
    private sealed class NaNBackwardActivation(IActivation inner, int fromCall) : IActivation
    {
        private int _calls;

        public string Name => inner.Name;

        public int GetCapacity(int latentCount) => inner.GetCapacity(latentCount);

        public int Forward(ReadOnlySpan<float> preActivations, Span<int> activeIndices, Span<float> activeValues) => inner.Forward(preActivations, activeIndices, activeValues);

        public void Backward(ReadOnlySpan<float> activePreActivations, ReadOnlySpan<float> activeValues, Span<float> gradient)
        {
            if (Interlocked.Increment(ref _calls) > fromCall)
            {
                gradient.Fill(float.NaN);
            }
        }
    }

    private sealed class OverflowingNoiser : INoiser
    {
        public string Name => "Overflow";

        public void Apply(Matrix clean, Matrix destination, long step)
        {
            clean.Span.CopyTo(destination.Span);
            destination.Span[3] = float.MaxValue * 2;
        }
    }

    private sealed class LyingSource(int count) : IActivationSource
    {
        public int Dimension => D;

        public long? Length => null;

        public int Read(Matrix destination) => count;

        public void Reset()
        {
        }
    }

    private sealed class EmptySource : IActivationSource
    {
        public int Dimension => D;

        public long? Length => null;

        public int Read(Matrix destination) => 0;

        public void Reset()
        {
        }
    }
}
