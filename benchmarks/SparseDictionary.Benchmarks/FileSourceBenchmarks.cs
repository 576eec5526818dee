using BenchmarkDotNet.Attributes;
using SparseDictionary.IO;

namespace SparseDictionary.Benchmarks;

/// <summary>
/// Training from .npy shards against training from the same rows in memory (the baseline), and the reading rate of the
/// shards alone. Each invocation trains 20 steps of a fresh copy of the SAE (C1: d 768, 3072 latents, k 32, batch 1024;
/// C3: d 256, 512 latents, k 36, batch 10,000) on the same rows in the same order; the file source is memory-mapped and
/// read ahead on a background thread by the trainer. The shards sit in the page cache (written in the setup).
/// GB/s of the read benchmark = the data's bytes / its mean time.
/// </summary>
[MemoryDiagnoser]
public class FileSourceBenchmarks
{
    private const int Steps = 20;
    private const int Shards = 4;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "sdict-bench-shards-" + Guid.NewGuid().ToString("N"));
    private Matrix _data = null!;
    private SparseAutoencoder _initial = null!;
    private SparseAutoencoder _sae = null!;
    private SaeTrainer _trainer = null!;
    private Matrix _readBuffer = null!;

    [Params("C1", "C3")]
    public string Config { get; set; } = "C3";

    /// <summary>Bytes of float32 data the run reads.</summary>
    public long DataBytes => (long)_data.Length * sizeof(float);

    [GlobalSetup]
    public void Setup()
    {
        var (d, latents, k, batch) = Config == "C1" ? (768, 3072, 32, 1024) : (256, 512, 36, 10_000);
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = d, FeatureCount = 2 * d, GroupCount = 12, ActiveFeatures = 32, Seed = 1 });
        _data = Matrix.CreateAligned(Steps * batch, d);
        source.Read(_data);
        Directory.CreateDirectory(_folder);
        var rowsPerShard = _data.Rows / Shards;
        for (var s = 0; s < Shards; s++)
        {
            NpyFile.Write(Path.Combine(_folder, $"shard-{s}.npy"), _data.SliceRows(s * rowsPerShard, s == Shards - 1 ? _data.Rows - (s * rowsPerShard) : rowsPerShard));
        }

        _initial = new SparseAutoencoder(d, latents, new TopKActivation(k), seed: 1);
        _trainer = new SaeTrainer(new SaeTrainerOptions { BatchSize = batch, TotalTokens = (long)Steps * batch, LearningRate = 1e-3f });
        _readBuffer = Matrix.CreateAligned(batch, d);
        Console.WriteLine($"// data: {DataBytes / 1e6:F1} MB in {Shards} shards");
    }

    [IterationSetup]
    public void FreshSae() => _sae = _initial.Clone();

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    /// <summary>20 steps on the rows held in memory.</summary>
    [Benchmark(Baseline = true)]
    public long FromMemory() => _trainer.Train(_sae, new InMemoryActivationSource(_data, shuffle: false, loop: false)).Steps;

    /// <summary>The same 20 steps on the same rows read from the .npy shards.</summary>
    [Benchmark]
    public long FromNpyShards()
    {
        using var source = NpyActivationSource.FromFolder(_folder, shuffle: false, loop: false);
        return _trainer.Train(_sae, source).Steps;
    }

    /// <summary>Reading every row of the shards in batches, without training (the reading rate).</summary>
    [Benchmark]
    public long ReadNpyShards()
    {
        using var source = NpyActivationSource.FromFolder(_folder, shuffle: false, loop: false);
        long rows = 0;
        int read;
        while ((read = source.Read(_readBuffer)) > 0)
        {
            rows += read;
        }

        return rows;
    }
}
