using System.Text.RegularExpressions;
using SparseDictionary.IO;
using SparseDictionary.Regularization;
using SparseDictionary.Metrics;

namespace SparseDictionary.Tests;

/// <summary>
/// The README's quickstart and your-own-activations blocks are this test's code, character for character after their
/// using directives (which <see cref="ReadmeCodeBlocksTests"/> checks by compiling each block as printed), and they run.
/// </summary>
public partial class ReadmeQuickstartTests
{
    [Fact]
    public void Quickstart_Runs()
    {
        var output = new StringWriter();
        Quickstart(output);
        output.ToString().Should().StartWith("FVU ").And.Contain("MMCS with ground truth");
    }

    [Fact]
    public void Readme_ShowsTheQuickstartCode()
    {
        var root = FindRepositoryRoot();
        var source = File.ReadAllText(Path.Combine(root, "tests", "SparseDictionary.Tests", "ReadmeQuickstartTests.cs"));
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var code = Dedent(QuickstartRegion().Match(source).Groups[1].Value);
        var block = ReadmeCodeBlocksTests.WithoutUsings(ReadmeBlock().Match(readme).Groups[1].Value);
        code.Should().NotBeEmpty();
        block.Trim().Should().Be(code.Trim());
    }

    private static void Quickstart(TextWriter console)
    {
        // quickstart:begin
        // Synthetic activations with 128 known features (wrap your own with Matrix.Wrap(array, rows, d)
        // and new InMemoryActivationSource(matrix, shuffle: true)).
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions
        {
            InputDimension = 64, FeatureCount = 128, GroupCount = 4, ActiveFeatures = 5,
        });
        var sae = new SparseAutoencoder(inputDimension: 64, latentCount: 128, new TopKActivation(k: 5));
        var trainer = new SaeTrainer(
            new SaeTrainerOptions { LearningRate = 5e-3f, BatchSize = 1024, TotalTokens = 200_000 },
            [new AuxKRegularizer(new AuxKOptions { KAux = 32, DeadWindowTokens = 100_000 })]);
        TrainingResult result = trainer.Train(sae, source);

        // Inference: sparse codes and reconstructions, for a batch or a single vector.
        var batch = new Matrix(8, 64);
        source.Read(batch);
        SparseCodes codes = sae.Encode(batch);
        Matrix reconstruction = sae.Decode(codes);

        var recovery = FeatureSimilarity.MaxCosinePerRow(source.GroundTruthFeatures, sae.DecoderWeights);
        console.WriteLine($"FVU {result.LastProgress!.Saes[0].FractionOfVarianceUnexplained:F3}, " +
                          $"L0 {codes.MeanActive:F1}, MMCS with ground truth {recovery.Mean:F3}");
        // quickstart:end
        _ = reconstruction;
    }

    [Fact]
    public void YourOwnActivations_Runs()
    {
        using var scratch = new Support.ScratchFolder();
        var shardFolder = Path.Combine(scratch.Path, "shards");
        Directory.CreateDirectory(shardFolder);
        var synthetic = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = 32, FeatureCount = 64, GroupCount = 4, ActiveFeatures = 4 });
        for (var shard = 0; shard < 3; shard++)
        {
            var rows = new Matrix(3000, 32);
            synthetic.Read(rows);
            NpyFile.Write(Path.Combine(shardFolder, $"activations-{shard}.npy"), rows);
        }

        var outputFolder = Path.Combine(scratch.Path, "output");
        var (trained, loaded) = YourOwnActivations([shardFolder, outputFolder]);

        loaded.DecoderWeights.Span.ToArray().Should().Equal(trained.DecoderWeights.Span.ToArray());
        SparseAutoencoder.DetectLayout(Path.Combine(outputFolder, "sae")).Should().Be(SaeFileLayout.Native);
        SparseAutoencoder.DetectLayout(Path.Combine(outputFolder, "sae-saelens")).Should().Be(SaeFileLayout.SaeLens);
        TrainingCheckpoint.List(Path.Combine(outputFolder, "checkpoints")).Should().NotBeEmpty();
    }

    [Fact]
    public void Readme_ShowsTheYourOwnActivationsCode()
    {
        var root = FindRepositoryRoot();
        var source = File.ReadAllText(Path.Combine(root, "tests", "SparseDictionary.Tests", "ReadmeQuickstartTests.cs"));
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var code = Dedent(ActivationsRegion().Match(source).Groups[1].Value);
        var block = ReadmeCodeBlocksTests.WithoutUsings(ActivationsBlock().Match(readme).Groups[1].Value);
        code.Should().NotBeEmpty();
        block.Trim().Should().Be(code.Trim());
    }

    /// <summary>The README block, run as the body of a program whose command line is <paramref name="args"/>.</summary>
    private static (SparseAutoencoder Trained, SparseAutoencoder Loaded) YourOwnActivations(string[] args)
    {
        // activations:begin
        // Usage: dotnet run -- <folder of .npy shards> <output folder>
        var shardFolder = args[0];
        var outputFolder = args[1];
        var checkpointFolder = Path.Combine(outputFolder, "checkpoints");

        // The shards (rows x d, float32 or float16, e.g. written by numpy.save) are memory-mapped and streamed: the
        // data may be larger than memory. Each epoch visits the shards and their rows in a seeded order.
        using var source = NpyActivationSource.FromFolder(shardFolder, shuffle: true, seed: 1);
        var sae = new SparseAutoencoder(source.Dimension, latentCount: 128, new TopKActivation(k: 4));
        var trainer = new SaeTrainer(new SaeTrainerOptions
        {
            LearningRate = 5e-3f, BatchSize = 500, TotalTokens = 50_000,
            Checkpoints = new CheckpointOptions { Directory = checkpointFolder, IntervalSteps = 25 },
        });
        trainer.Train(sae, source);
        // After an interruption, the same trainer and source continue bit for bit:
        //   trainer.Resume(TrainingCheckpoint.LoadLatest(checkpointFolder), source);

        sae.Save(Path.Combine(outputFolder, "sae"));                                 // the library's layout
        sae.Save(Path.Combine(outputFolder, "sae-saelens"), SaeFileLayout.SaeLens);  // cfg.json + sae_weights.safetensors
        var loaded = SparseAutoencoder.Load(Path.Combine(outputFolder, "sae"));      // any of the 3 layouts, detected
        // activations:end
        return (sae, loaded);
    }

    private static string Dedent(string code)
    {
        var lines = code.Replace("\r\n", "\n").Split('\n');
        var indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart())).Replace("console.WriteLine", "Console.WriteLine");
    }

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SparseDictionary.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"No SparseDictionary.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"// quickstart:begin\r?\n(.*?)\r?\n\s*// quickstart:end", RegexOptions.Singleline)]
    private static partial Regex QuickstartRegion();

    [GeneratedRegex(@"<!-- quickstart -->\s*```csharp\r?\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ReadmeBlock();

    [GeneratedRegex(@"// activations:begin\r?\n(.*?)\r?\n\s*// activations:end", RegexOptions.Singleline)]
    private static partial Regex ActivationsRegion();

    [GeneratedRegex(@"<!-- your-own-activations -->\s*```csharp\r?\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ActivationsBlock();
}
