using System.Text.RegularExpressions;
using SparseDictionary.Activations;
using SparseDictionary.Data;
using SparseDictionary.Metrics.Similarity;
using SparseDictionary.Modeling;
using SparseDictionary.Regularization;
using SparseDictionary.Tensors;
using SparseDictionary.Training;

namespace SparseDictionary.Tests;

/// <summary>The README's quickstart is this test's code, character for character, and it runs.</summary>
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
        var block = ReadmeBlock().Match(readme).Groups[1].Value;
        code.Should().NotBeEmpty();
        block.Replace("\r\n", "\n").Trim().Should().Be(code.Trim());
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
}
