using System.Text.Json;
using SparseDictionary.IO;

namespace SparseDictionary.Cli.Tests.Commands;

public sealed class SynthCommandTests
{
    [Theory]
    [InlineData("one-group", SyntheticActiveSetMode.OneGroup)]
    [InlineData("all-groups", SyntheticActiveSetMode.AllGroups)]
    [InlineData("shared-within-chunk", SyntheticActiveSetMode.SharedWithinChunk)]
    public void Synth_WritesTheLibrarysStreamAsShards_AndItsGroundTruth(string mode, SyntheticActiveSetMode expected)
    {
        using var folder = new TempFolder();
        var run = Sdict.Run(["synth", "--out", folder.Path, "--rows", "1000", "--shard-rows", "300", "--dimension", "16", "--features", "32", "--groups", "4", "--active", "3", "--mode", mode, "--chunk-size", "100", "--seed", "5"]);

        run.Exit.Should().Be(0, run.Error);
        var shards = Directory.GetFiles(folder["shards"], "*.npy").Order(StringComparer.Ordinal).ToArray();
        shards.Select(Path.GetFileName).Should().Equal("shard-00000.npy", "shard-00001.npy", "shard-00002.npy", "shard-00003.npy");
        var reference = new SyntheticFeatureSource(new SyntheticFeatureOptions
        {
            InputDimension = 16, FeatureCount = 32, GroupCount = 4, ActiveFeatures = 3, ActiveSetMode = expected, ChunkSize = 100, Seed = 5,
        });
        foreach (var shard in shards)
        {
            var rows = NpyFile.Load(shard);
            var expectedRows = new Matrix(rows.Rows, 16);
            reference.Read(expectedRows);
            rows.Span.ToArray().Should().Equal(expectedRows.Span.ToArray());
        }

        NpyFile.Load(folder["features.npy"]).Span.ToArray().Should().Equal(reference.GroundTruthFeatures.Span.ToArray());
        var options = JsonSerializer.Deserialize<SyntheticFeatureOptions>(File.ReadAllText(folder["synth.json"]), ConfigFile.Json)!;
        options.ActiveSetMode.Should().Be(expected);
        options.Length.Should().Be(1000);
        run.Out.Should().Contain("1,000 samples").And.Contain("4 shards");
    }

    [Fact]
    public void Synth_RefusesToMixWithEarlierShards_UnlessForced()
    {
        using var folder = new TempFolder();
        string[] args = ["synth", "--out", folder.Path, "--rows", "50", "--dimension", "8", "--features", "16", "--groups", "2", "--active", "2"];
        Sdict.Run(args).Exit.Should().Be(0);

        Sdict.Run(args).ShouldFailWith("--force");
        Sdict.Run([.. args, "--force"]).Exit.Should().Be(0);
        Directory.GetFiles(folder["shards"]).Should().ContainSingle();
    }

    [Fact]
    public void Synth_BadValues_NameTheFlag()
    {
        using var folder = new TempFolder();
        Sdict.Run("synth", "--out", folder.Path, "--rows", "0").ShouldFailWith("--rows");
        Sdict.Run("synth", "--out", folder.Path, "--rows", "10", "--mode", "every-group").ShouldFailWith("--mode: 'every-group' is not one of one-group, all-groups, shared-within-chunk");
        Sdict.Run("synth", "--out", folder.Path, "--rows", "ten").ShouldFailWith("--rows");
        Sdict.Run("synth", "--out", folder.Path, "--rows", "10", "--active", "99", "--features", "32", "--groups", "4").ShouldFailWith("--active (data.synthetic.activeFeatures)");
    }
}
