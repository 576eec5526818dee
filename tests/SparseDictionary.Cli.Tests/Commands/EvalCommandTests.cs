using System.Text.Json;
using SparseDictionary.IO;
using SparseDictionary.Metrics;

namespace SparseDictionary.Cli.Tests.Commands;

public sealed class EvalCommandTests
{
    [Fact]
    public void Eval_Json_HoldsTheLibrarysMetrics_ForEverySae()
    {
        using var folder = new TempFolder();
        var (saes, paths) = TwoSaes(folder);
        Sdict.WriteData(folder["data.npy"], 500);
        var truth = new SyntheticFeatureSource(Sdict.Synthetic()).GroundTruthFeatures;
        NpyFile.Write(folder["truth.npy"], truth);

        var run = Sdict.Run([.. paths, "--npy", folder["data.npy"], "--ground-truth", folder["truth.npy"], "--format", "json", "--report", folder["report.json"], "--batch-size", "128"]);

        run.Exit.Should().Be(0, run.Error);
        using var source = new NpyActivationSource([folder["data.npy"]], loop: false);
        var expected = SaeEvaluation.Evaluate(saes, source, new EvaluationOptions { BatchSize = 128, GroundTruth = truth, Names = ["a", "b"] });
        using var json = JsonDocument.Parse(File.ReadAllText(folder["report.json"]));
        json.RootElement.GetProperty("rows").GetInt64().Should().Be(500);
        var reported = json.RootElement.GetProperty("saes").EnumerateArray().ToArray();
        reported.Select(s => s.GetProperty("name").GetString()).Should().Equal("a", "b");
        for (var i = 0; i < 2; i++)
        {
            foreach (var metric in expected.MetricNames)
            {
                var cell = reported[i].GetProperty("metrics").GetProperty(metric);
                if (expected[i, metric] is { } value && double.IsFinite(value))
                {
                    cell.GetDouble().Should().Be(value, $"{metric} of SAE {i}");
                }
                else
                {
                    cell.ValueKind.Should().Be(JsonValueKind.Null, metric);
                }
            }
        }

        expected[0, "gt_mmcs"].Should().NotBeNull("ground truth was given");
        expected[0, "cross_mmcs"].Should().NotBeNull("two SAEs were given");
    }

    [Theory]
    [InlineData("text")]
    [InlineData("markdown")]
    public void Eval_TextAndMarkdown_AreTheReportsTables(string format)
    {
        using var folder = new TempFolder();
        var (saes, paths) = TwoSaes(folder);

        var run = Sdict.Run([.. paths, .. Sdict.SyntheticFlags(), "--rows", "300", "--format", format]);

        run.Exit.Should().Be(0, run.Error);
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = 16, FeatureCount = 32, GroupCount = 4, ActiveFeatures = 3, Length = 300 });
        var report = SaeEvaluation.Evaluate(saes, source, new EvaluationOptions { GroundTruth = source.GroundTruthFeatures, Names = ["a", "b"] });
        run.Out.Should().Be(format == "text" ? report.ToText() : report.ToMarkdown());
        run.Error.Should().Contain("with 32 ground-truth features");
    }

    [Fact]
    public void Eval_Plots_AreImagesOfTheirSize_ForEachSae_AndTheCrossSaeScatter()
    {
        using var folder = new TempFolder();
        var (_, paths) = TwoSaes(folder);

        var run = Sdict.Run([.. paths, .. Sdict.SyntheticFlags(), "--rows", "400", "--plots", folder["plots"]]);

        run.Exit.Should().Be(0, run.Error);
        foreach (var name in new[] { "a", "b" })
        {
            PngImage.ShouldBePlot(folder[$"plots/firing-frequency-{name}.png"], 800, 500);
            PngImage.ShouldBePlot(folder[$"plots/decoder-cosines-{name}.png"], 800, 500);
        }

        PngImage.ShouldBePlot(folder["plots/cross-sae-vs-ground-truth.png"], 800, 640);
    }

    [Fact]
    public void Eval_UserMistakes_GiveOneLine()
    {
        using var folder = new TempFolder();
        var (_, paths) = TwoSaes(folder);
        Sdict.WriteData(folder["wide.npy"], 50, dimension: 20);
        Sdict.WriteData(folder["data.npy"], 50);
        NpyFile.Write(folder["truth.npy"], new Matrix(4, 9));

        Sdict.Run("eval", folder["nope"], "--npy", folder["data.npy"]).ShouldFailWith($"The SAE folder {folder["nope"]} does not exist");
        Sdict.Run([.. paths, "--npy", folder["wide.npy"]]).ShouldFailWith($"The SAE {paths[1]} has input dimension 16 but {folder["wide.npy"]} has 20 columns");
        Sdict.Run([.. paths, "--npy", folder["data.npy"], "--ground-truth", folder["truth.npy"]]).ShouldFailWith($"The ground truth {folder["truth.npy"]} has 9 columns");
        Sdict.Run([.. paths, "--npy", folder["data.npy"], "--format", "html"]).ShouldFailWith("--format: 'html' is not one of text, markdown, json");
        Sdict.Run("eval", folder.Path, "--npy", folder["data.npy"]).ShouldFailWith("holds no SAE");
    }

    /// <summary>Two small TopK SAEs saved as folders a and b; returns them and the eval command's first arguments.</summary>
    private static (SparseAutoencoder[] Saes, string[] Args) TwoSaes(TempFolder folder)
    {
        var saes = new[] { new SparseAutoencoder(16, 24, new TopKActivation(3), 1), new SparseAutoencoder(16, 24, new TopKActivation(3), 2) };
        saes[0].Save(folder["a"]);
        saes[1].Save(folder["b"], SaeFileLayout.Sparsify);
        return (saes, ["eval", folder["a"], folder["b"]]);
    }
}
