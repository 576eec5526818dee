using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using SparseDictionary.Kernels;

namespace SparseDictionary.Benchmarks;

/// <summary>
/// One full training step (encoder, TopK, sparse decode, loss, sparse backward, AdamW, decoder renormalisation) at the
/// configurations of the speed issue. The Tokens/s column is batch / median time (<see cref="ThroughputColumn.TokensPerSecond"/>).
/// C1: d 768, 3072 latents, k 32, batch 1024. C2: d 768, 16384 latents, k 32, batch 1024. C3: d 256, 512 latents, k 36, batch 10000.
/// Each runs on every x86 fused path this CPU has (<see cref="KernelPath.Avx2Fma"/>, and <see cref="KernelPath.Avx512Fma"/>
/// where it has AVX-512), forced for the whole run; both give the same bits.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class TrainingStepBenchmarks
{
    private TrainingRun _run = null!;
    private Matrix _batch = null!;
    private double _batchMaxMagnitude;
    private IDisposable? _forcedPath;

    /// <summary>The x86 fused paths this CPU supports (the portable paths are measured by the GEMM benchmarks).</summary>
    public static IEnumerable<KernelPath> FastPaths => new[] { KernelPath.Avx2Fma, KernelPath.Avx512Fma }.Where(KernelPaths.IsSupported);

    /// <summary>The kernel path of this run.</summary>
    [ParamsSource(nameof(FastPaths))]
    public KernelPath Path { get; set; } = KernelPath.Avx2Fma;

    [Params("C1", "C2", "C3")]
    public string Config { get; set; } = "C1";

    [GlobalSetup]
    public void Setup()
    {
        _forcedPath = KernelPaths.Force(Path);
        (_run, _batch, _batchMaxMagnitude) = CreateRun(Config);
    }

    /// <summary>
    /// A run over one SAE of <paramref name="config"/> with its batch (the buffer SaeTrainer.Train reads into, cache-line
    /// aligned) and the batch's max |x| (the trainer finds it in the pass that validates the batch; benchmarks time the
    /// step itself).
    /// </summary>
    /// <param name="config">"C1", "C2" or "C3".</param>
    /// <returns>The run, the batch and its largest magnitude.</returns>
    internal static (TrainingRun Run, Matrix Batch, double BatchMaxMagnitude) CreateRun(string config)
    {
        var (d, latents, k) = config switch
        {
            "C1" => (768, 3072, 32),
            "C2" => (768, 16384, 32),
            _ => (256, 512, 36),
        };
        var rows = BatchRows(config);
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = d, FeatureCount = 2 * d, GroupCount = 12, ActiveFeatures = 32, Seed = 1 });
        var batch = Matrix.CreateAligned(rows, d);
        source.Read(batch);
        var sae = new SparseAutoencoder(d, latents, new TopKActivation(k), seed: 1);
        sae.InitializeDecoderBias(batch, DecoderBiasInitialization.Mean);
        var trainer = new SaeTrainer(new SaeTrainerOptions { BatchSize = rows, TotalTokens = 1_000_000L * rows });
        return (trainer.StartRun([sae], rows), batch, System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(batch.Span));
    }

    /// <summary>The batch of a configuration, in tokens: 1,024 for C1 and C2, 10,000 for C3.</summary>
    /// <param name="config">"C1", "C2" or "C3".</param>
    /// <returns>The number of rows of its batch.</returns>
    public static int BatchRows(string config) => config is "C1" or "C2" ? 1024 : 10_000;

    /// <summary>Releases the forced path.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _forcedPath?.Dispose();
        _forcedPath = null;
    }

    /// <summary>One step on a fixed batch.</summary>
    [Benchmark]
    public double Step() => _run.Step(_batch, _batchMaxMagnitude).Loss;

    /// <summary>Adds the tokens/s column.</summary>
    public sealed class ThroughputConfig : ManualConfig
    {
        /// <summary>Creates the config.</summary>
        public ThroughputConfig() => AddColumn(ThroughputColumn.TokensPerSecond);
    }
}
