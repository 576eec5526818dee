using SparseDictionary.Regularization;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Training;

/// <summary>Checkpoints: a resumed run ends with the same bits as the uninterrupted one; damaged checkpoints are skipped.</summary>
public sealed class CheckpointTests : IDisposable
{
    private const int Steps = 12;
    private const int BatchSize = 32;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sdict-checkpoints-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 5)]
    [InlineData(false, 11)]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    [InlineData(true, 4)]
    [InlineData(true, 7)]
    [InlineData(true, 11)]
    public void Resume_FromAnyStep_EndsBitIdenticalToTheUninterruptedRun(bool full, int step)
    {
        var reference = Setup(full, Path.Combine(_root, "reference"), interval: 1, keep: 100);
        var expected = reference.Trainer.Train(reference.Saes, reference.Source);
        if (full)
        {
            expected.Reinitializations.Should().NotBeEmpty("the full setting must exercise reinitialisation");
        }

        var checkpoint = TrainingCheckpoint.Load(Path.Combine(_root, "reference", $"step-{step:D10}"));
        checkpoint.Step.Should().Be(step);
        checkpoint.Tokens.Should().Be(step * BatchSize);

        var resumed = Setup(full, checkpointDirectory: null, interval: 1, keep: 1);
        var result = resumed.Trainer.Resume(checkpoint, resumed.Source);

        result.Steps.Should().Be(Steps);
        result.Reinitializations.Should().Equal(expected.Reinitializations);
        AssertSameWeights(checkpoint.Saes, reference.Saes);
        if (full)
        {
            // MFR's matching schedule continues where it was (its partners are part of the checkpoint).
            var mfr = (MutualFeatureRegularizer)resumed.Trainer.Regularizers[1];
            var original = (MutualFeatureRegularizer)reference.Trainer.Regularizers[1];
            mfr.Matchings.Should().Be(original.Matchings);
            mfr.LastUnweightedPenalty.Should().Be(original.LastUnweightedPenalty);
        }
    }

    [Fact]
    public void Cancellation_WritesACheckpoint_ThatResumesToTheSameBits()
    {
        var reference = Setup(full: true, checkpointDirectory: null, interval: 1, keep: 1);
        reference.Trainer.Train(reference.Saes, reference.Source);

        var directory = Path.Combine(_root, "cancelled");
        var interrupted = Setup(full: true, directory, interval: 100, keep: 2);
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress(p =>
        {
            if (p.Step == 6)
            {
                cancellation.Cancel();
            }
        });
        var partial = interrupted.Trainer.Train(interrupted.Saes, interrupted.Source, progress, cancellation.Token);
        partial.Cancelled.Should().BeTrue();
        partial.Steps.Should().Be(6);

        var checkpoint = TrainingCheckpoint.LoadLatest(directory);
        checkpoint.Step.Should().Be(6);
        checkpoint.Skipped.Should().BeEmpty();
        var resumed = Setup(full: true, checkpointDirectory: null, interval: 1, keep: 1);
        resumed.Trainer.Resume(checkpoint, resumed.Source);
        AssertSameWeights(checkpoint.Saes, reference.Saes);
    }

    [Fact]
    public void Resume_WithANonSeekableSource_SkipsRowsByReading()
    {
        var reference = Setup(full: false, Path.Combine(_root, "reference"), interval: 4, keep: 10);
        reference.Trainer.Train(reference.Saes, reference.Source);
        var checkpoint = TrainingCheckpoint.Load(Path.Combine(_root, "reference", "step-0000000008"));

        var resumed = Setup(full: false, checkpointDirectory: null, interval: 1, keep: 1);
        resumed.Trainer.Resume(checkpoint, new ForwardOnlySource(resumed.Source));
        AssertSameWeights(checkpoint.Saes, reference.Saes);
    }

    [Fact]
    public void Keep_LeavesOnlyTheNewestCheckpoints()
    {
        var directory = Path.Combine(_root, "pruned");
        var run = Setup(full: false, directory, interval: 2, keep: 2);
        run.Trainer.Train(run.Saes, run.Source);
        TrainingCheckpoint.List(directory).Select(Path.GetFileName).Should().Equal("step-0000000012", "step-0000000010");
    }

    [Theory]
    [InlineData("truncate")]
    [InlineData("flip")]
    [InlineData("no-trainer")]
    [InlineData("bad-json")]
    public void LoadLatest_SkipsADamagedNewestCheckpoint_AndSaysWhich(string damage)
    {
        var directory = Path.Combine(_root, "damaged");
        var run = Setup(full: true, directory, interval: 3, keep: 5);
        run.Trainer.Train(run.Saes, run.Source);
        var newest = Path.Combine(directory, "step-0000000012");
        var state = Path.Combine(newest, "state.safetensors");
        var trainer = Path.Combine(newest, "trainer.json");
        switch (damage)
        {
            case "truncate":
                using (var stream = new FileStream(state, FileMode.Open))
                {
                    stream.SetLength(stream.Length / 2);
                }

                break;
            case "flip":
                var bytes = File.ReadAllBytes(state);
                bytes[^10] ^= 0x40;
                File.WriteAllBytes(state, bytes);
                break;
            case "no-trainer":
                File.Delete(trainer);
                break;
            default:
                File.WriteAllText(trainer, "{\"format\": ");
                break;
        }

        // A folder left by a process killed while writing is not a checkpoint.
        Directory.CreateDirectory(Path.Combine(directory, ".step-0000000015.1234.tmp"));

        var checkpoint = TrainingCheckpoint.LoadLatest(directory);
        checkpoint.Step.Should().Be(9);
        checkpoint.Path.Should().EndWith("step-0000000009");
        checkpoint.Skipped.Should().ContainSingle().Which.Should().Contain(newest);
    }

    [Fact]
    public void LoadLatest_WithNoLoadableCheckpoint_Throws()
    {
        var directory = Path.Combine(_root, "empty");
        Directory.CreateDirectory(directory);
        var act = () => TrainingCheckpoint.LoadLatest(directory);
        act.Should().Throw<InvalidDataException>().WithMessage($"*{directory}*");
        var missing = () => TrainingCheckpoint.LoadLatest(Path.Combine(_root, "missing"));
        missing.Should().Throw<DirectoryNotFoundException>();
    }

    [Fact]
    public void Resume_WithDifferentOptions_NamesTheOption()
    {
        var run = Setup(full: false, Path.Combine(_root, "reference"), interval: 6, keep: 5);
        run.Trainer.Train(run.Saes, run.Source);
        var checkpoint = TrainingCheckpoint.LoadLatest(Path.Combine(_root, "reference"));

        var options = Options(checkpointDirectory: null, interval: 1, keep: 1);
        options.LearningRate = 0.5f;
        var act = () => new SaeTrainer(options).Resume(checkpoint, Source());
        act.Should().Throw<ArgumentException>().WithMessage("*LearningRate is 0.5 but the checkpoint's run used 0.01*");

        var withRegularizer = new SaeTrainer(Options(null, 1, 1), [new AuxKRegularizer(new AuxKOptions { KAux = 4 })]);
        var act2 = () => withRegularizer.Resume(checkpoint, Source());
        act2.Should().Throw<ArgumentException>().WithMessage("*regularizers []*AuxK*");
    }

    [Fact]
    public void Options_RejectBadCheckpointSettings()
    {
        var options = Options(checkpointDirectory: " ", interval: 0, keep: 0);
        var act = () => new SaeTrainer(options);
        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>()
            .Which.Failures.Should().HaveCount(3).And.Contain(f => f.Contains("Checkpoints.IntervalSteps", StringComparison.Ordinal));
    }

    private static void AssertSameWeights(IReadOnlyList<SparseAutoencoder> actual, IReadOnlyList<SparseAutoencoder> expected)
    {
        actual.Should().HaveSameCount(expected);
        for (var i = 0; i < expected.Count; i++)
        {
            WeightBits.Of(actual[i].EncoderWeights.Span).Should().Equal(WeightBits.Of(expected[i].EncoderWeights.Span), $"SAE {i}'s W_enc");
            WeightBits.Of(actual[i].EncoderBias.Span).Should().Equal(WeightBits.Of(expected[i].EncoderBias.Span), $"SAE {i}'s b_enc");
            WeightBits.Of(actual[i].DecoderWeights.Span).Should().Equal(WeightBits.Of(expected[i].DecoderWeights.Span), $"SAE {i}'s W_dec");
            WeightBits.Of(actual[i].DecoderBias.Span).Should().Equal(WeightBits.Of(expected[i].DecoderBias.Span), $"SAE {i}'s b_dec");
        }
    }

    private static InMemoryActivationSource Source() => new(TestData.GaussianMatrix(200, 24, seed: 11), shuffle: true, loop: true, seed: 5);

    private static SaeTrainerOptions Options(string? checkpointDirectory, int interval, int keep) => new()
    {
        LearningRate = 0.01f,
        BatchSize = BatchSize,
        TotalTokens = Steps * BatchSize,
        WarmupSteps = 2,
        DecayFraction = 0.3,
        Seed = 9,
        ProgressIntervalSteps = 1,
        Checkpoints = checkpointDirectory is null ? null : new CheckpointOptions { Directory = checkpointDirectory, IntervalSteps = interval, Keep = keep },
    };

    /// <summary>
    /// One TopK SAE, or (full) two SAEs with AuxK, MFR, dropout denoising and reinitialisation (threshold low enough
    /// to fire in the first steps).
    /// </summary>
    private static (SaeTrainer Trainer, SparseAutoencoder[] Saes, InMemoryActivationSource Source) Setup(bool full, string? checkpointDirectory, int interval, int keep)
    {
        var options = Options(checkpointDirectory, interval, keep);
        if (!full)
        {
            return (new SaeTrainer(options), [new SparseAutoencoder(24, 40, new TopKActivation(4), seed: 1)], Source());
        }

        options.Reinitialization = new ReinitializationOptions { Steps = 4, Threshold = 0.3 };
        IRegularizer[] regularizers =
        [
            new AuxKRegularizer(new AuxKOptions { KAux = 6, DeadWindowTokens = 64 }),
            new MutualFeatureRegularizer(new MutualFeatureOptions { WarmupSteps = 3, RefreshInterval = 3 }),
        ];
        var trainer = new SaeTrainer(options, regularizers, new DropoutNoiser(0.2, seed: 4));
        return (trainer, [new SparseAutoencoder(24, 40, new TopKActivation(4), seed: 1), new SparseAutoencoder(24, 32, new TopKActivation(3), seed: 2)], Source());
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    /// <summary>Hides the inner source's Seek, so that a resume has to read and discard rows.</summary>
    private sealed class ForwardOnlySource(IActivationSource inner) : IActivationSource
    {
        public int Dimension => inner.Dimension;

        public long? Length => inner.Length;

        public int Read(Matrix destination) => inner.Read(destination);

        public void Reset() => inner.Reset();
    }
}
