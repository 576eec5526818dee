using BenchmarkDotNet.Attributes;
using SparseDictionary.Regularization;

namespace SparseDictionary.Benchmarks;

/// <summary>
/// The cost of Mutual Feature Regularization: two SAEs (d 768, 3072 latents, k 32) trained together on batches of
/// 1024, without the penalty (baseline), with max-cosine matching refreshed every 10 steps, and with exact matching at
/// every step. One operation is one training step of both SAEs; each invocation runs 10 steps so that the refreshed
/// mode's one matching per 10 steps is averaged in. The penalty is active from the first step (no warm-up).
/// </summary>
[MemoryDiagnoser]
public class MutualFeatureBenchmarks
{
    private const int Steps = 10;
    private const int D = 768;
    private const int Latents = 3072;
    private const int Batch = 1024;

    private Matrix _batch = null!;
    private double _batchMaxMagnitude;
    private TrainingRun _withoutPenalty = null!;
    private TrainingRun _refreshedEvery10 = null!;
    private TrainingRun _exact = null!;

    [GlobalSetup]
    public void Setup()
    {
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = D, FeatureCount = 2 * D, GroupCount = 12, ActiveFeatures = 32, Seed = 1 });
        _batch = new Matrix(Batch, D);
        source.Read(_batch);
        _batchMaxMagnitude = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(_batch.Span);
        _withoutPenalty = Start(null);
        _refreshedEvery10 = Start(new MutualFeatureOptions { WarmupSteps = 0, RefreshInterval = 10 });
        _exact = Start(new MutualFeatureOptions { WarmupSteps = 0, RefreshInterval = 1 });
    }

    /// <summary>Two SAEs trained together without the penalty.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Steps)]
    public double TwoSaes() => Run(_withoutPenalty);

    /// <summary>Two SAEs with MFR, partners refreshed every 10 steps.</summary>
    [Benchmark(OperationsPerInvoke = Steps)]
    public double TwoSaesWithMfrRefreshedEvery10() => Run(_refreshedEvery10);

    /// <summary>Two SAEs with MFR, exact matching at every step.</summary>
    [Benchmark(OperationsPerInvoke = Steps)]
    public double TwoSaesWithMfrExact() => Run(_exact);

    private double Run(TrainingRun run)
    {
        var loss = 0.0;
        for (var i = 0; i < Steps; i++)
        {
            loss += run.Step(_batch, _batchMaxMagnitude).Loss;
        }

        return loss;
    }

    private TrainingRun Start(MutualFeatureOptions? options)
    {
        SparseAutoencoder[] saes = [new(D, Latents, new TopKActivation(32), seed: 1), new(D, Latents, new TopKActivation(32), seed: 2)];
        foreach (var sae in saes)
        {
            sae.InitializeDecoderBias(_batch, DecoderBiasInitialization.Mean);
        }

        IRegularizer[] regularizers = options is null ? [] : [new MutualFeatureRegularizer(options)];
        var trainer = new SaeTrainer(new SaeTrainerOptions { BatchSize = Batch, TotalTokens = 1_000_000L * Batch }, regularizers);
        return trainer.StartRun(saes, Batch);
    }
}
