using SparseDictionary.IO;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Training;

/// <summary>Training from .npy shards (read ahead on a background thread) gives the weights training from memory gives.</summary>
public sealed class FileTrainingTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sdict-files-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TrainingFromShards_MatchesTrainingFromMemory(bool prefetch)
    {
        var data = TestData.GaussianMatrix(200, 24, seed: 21);
        var paths = WriteShards(data, 70, 50, 80);
        var options = new SaeTrainerOptions { LearningRate = 1e-2f, BatchSize = 32, TotalTokens = 32 * 15, PrefetchSource = prefetch };

        var fromMemory = new SparseAutoencoder(24, 40, new TopKActivation(4), seed: 3);
        new SaeTrainer(options).Train(fromMemory, new InMemoryActivationSource(data, shuffle: false, loop: true));

        var fromFiles = new SparseAutoencoder(24, 40, new TopKActivation(4), seed: 3);
        using (var source = new NpyActivationSource(paths, shuffle: false, loop: true))
        {
            new SaeTrainer(options).Train(fromFiles, source);
        }

        WeightBits.Of(fromFiles).Should().Equal(WeightBits.Of(fromMemory));
    }

    [Fact]
    public void ShuffledShards_ResumeBitIdentically()
    {
        var data = TestData.GaussianMatrix(200, 24, seed: 22);
        var paths = WriteShards(data, 64, 64, 72);
        var directory = Path.Combine(_root, "checkpoints");
        SaeTrainerOptions Options(bool checkpoints) => new()
        {
            LearningRate = 1e-2f,
            BatchSize = 32,
            TotalTokens = 32 * 16,
            Checkpoints = checkpoints ? new CheckpointOptions { Directory = directory, IntervalSteps = 5, Keep = 10 } : null,
        };

        var reference = new SparseAutoencoder(24, 40, new TopKActivation(4), seed: 3);
        using (var source = new NpyActivationSource(paths, shuffle: true, loop: true, seed: 8))
        {
            new SaeTrainer(Options(checkpoints: true)).Train(reference, source);
        }

        var checkpoint = TrainingCheckpoint.Load(Path.Combine(directory, "step-0000000010"));
        using (var source = new NpyActivationSource(paths, shuffle: true, loop: true, seed: 8))
        {
            new SaeTrainer(Options(checkpoints: false)).Resume(checkpoint, source);
        }

        WeightBits.Of(checkpoint.Saes[0]).Should().Equal(WeightBits.Of(reference));
    }

    private string[] WriteShards(Matrix data, params int[] rows)
    {
        Directory.CreateDirectory(_root);
        var paths = new string[rows.Length];
        var start = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            paths[i] = Path.Combine(_root, $"shard-{i}.npy");
            NpyFile.Write(paths[i], data.SliceRows(start, rows[i]));
            start += rows[i];
        }

        return paths;
    }
}
