using System.Globalization;
using SparseDictionary.IO;

namespace SparseDictionary.Cli.Tests.Commands;

public sealed class TrainCommandTests
{
    private static readonly string[] SmallRun = ["--latents", "32", "--k", "4", "--batch-size", "64", "--tokens", "1280", "--progress-interval", "5", "--bias-init", "mean"];

    [Fact]
    public void Train_FromFlags_SavesTheSae_TheCurvesAndTheirPlot()
    {
        using var folder = new TempFolder();
        Sdict.WriteData(folder["data/a.npy"], 700);
        Sdict.WriteData(folder["data/b.npy"], 500, seed: 1);
        var output = folder["run"];

        var run = Sdict.Run(["train", "--npy", folder["data"], "--out", output, .. SmallRun]);

        run.Exit.Should().Be(0, run.Error);
        run.Out.Should().Contain("2 .npy shards").And.Contain("step 20/20").And.Contain("tok/s").And.Contain("FVU").And.Contain("L0").And.Contain("dead").And.Contain("ETA");
        var sae = SparseAutoencoder.Load(Path.Combine(output, "sae"));
        (sae.InputDimension, sae.LatentCount, sae.Activation.Name).Should().Be((16, 32, "TopK(k=4)"));
        var csv = File.ReadAllLines(Path.Combine(output, "metrics.csv"));
        csv[0].Should().StartWith("step,tokens,tokens_per_second,learning_rate,loss,sae,reconstruction_loss,fvu,l0,dead_share");
        csv.Skip(1).Select(l => l.Split(',')[0]).Should().Equal("5", "10", "15", "20");
        csv.Skip(1).Select(l => double.Parse(l.Split(',')[8], CultureInfo.InvariantCulture)).Should().AllSatisfy(l0 => l0.Should().Be(4));
        PngImage.ShouldBePlot(Path.Combine(output, "plots", "training-curves.png"), 1200, 800);
        File.Exists(Path.Combine(output, "train-config.json")).Should().BeTrue();
    }

    [Fact]
    public void Train_FromConfig_TrainsSeveralSaesWithMfrAuxKAndNoise()
    {
        using var folder = new TempFolder();
        Sdict.WriteData(folder["data.npy"], 640);
        var config = folder["config.json"];
        File.WriteAllText(config, $$"""
            {
              // every part of a run
              "output": "{{folder["run"].Replace("\\", "\\\\", StringComparison.Ordinal)}}",
              "data": { "npy": ["{{folder["data.npy"].Replace("\\", "\\\\", StringComparison.Ordinal)}}"], "shuffle": true, "seed": 3 },
              "sae": { "latents": 24, "activation": "topk", "k": 3, "count": 2, "seed": 7 },
              "trainer": {
                "learningRate": 0.001, "batchSize": 64, "totalTokens": 640, "progressIntervalSteps": 2, "warmupSteps": 2,
                "decoderBiasInitialization": "mean", "reinitialization": { "steps": 3, "measure": "cubed", "threshold": 100 },
                "checkpoints": { "intervalSteps": 4, "keep": 1 }
              },
              "auxK": { "kAux": 8, "coefficient": 0.05 },
              "mfr": { "coefficient": 1, "warmupSteps": 2, "matcher": "hungarian", "symmetric": true },
              "noise": { "kind": "gaussian", "standardDeviation": 0.05, "seed": 1 },
              "saveLayout": "sae-lens",
            }
            """);

        var run = Sdict.Run("train", "--config", config, "--no-plots");

        run.Exit.Should().Be(0, run.Error);
        run.Out.Should().Contain("2 SAEs").And.Contain("AuxK, MFR, Gaussian(0.05)");
        foreach (var name in new[] { "sae-0", "sae-1" })
        {
            SparseAutoencoder.DetectLayout(folder[Path.Combine("run", name)]).Should().Be(SaeFileLayout.SaeLens);
            SparseAutoencoder.Load(folder[Path.Combine("run", name)]).LatentCount.Should().Be(24);
        }

        var csv = File.ReadAllLines(folder["run/metrics.csv"]);
        csv[0].Should().EndWith("reg_AuxK,reg_MFR");
        csv.Should().HaveCount(1 + (5 * 2));
        TrainingCheckpoint.List(folder["run/checkpoints"]).Should().ContainSingle().Which.Should().EndWith("step-0000000008");
        Directory.Exists(folder["run/plots"]).Should().BeFalse();
    }

    [Fact]
    public void Train_StoppedLikeCtrlC_WritesACheckpoint_AndResumeEndsWithTheUninterruptedWeights()
    {
        using var folder = new TempFolder();
        string[] args = ["train", .. Sdict.SyntheticFlags(), "--latents", "32", "--k", "4", "--batch-size", "64", "--tokens", "2560", "--progress-interval", "5", "--checkpoint-interval", "1000", "--auxk", "--auxk-k", "8", "--no-plots"];
        Sdict.Run([.. args, "--out", folder["whole"]]).Exit.Should().Be(0);

        using var stop = new CancellationTokenSource();
        var interrupted = Sdict.Run(stop.Token, p =>
        {
            if (p.Step >= 15)
            {
                stop.Cancel();
            }
        }, [.. args, "--out", folder["cut"]]);

        interrupted.Exit.Should().Be(TrainCommand.Interrupted);
        interrupted.Error.Should().Contain("interrupted after step 15").And.Contain("step-0000000015").And.Contain("--resume");
        Directory.Exists(folder["cut/sae"]).Should().BeFalse();

        var resumed = Sdict.Run("train", "--resume", "--out", folder["cut"]);

        resumed.Exit.Should().Be(0, resumed.Error);
        resumed.Out.Should().Contain("resuming from").And.Contain("step 15");
        var whole = SparseAutoencoder.Load(folder["whole/sae"]);
        var cut = SparseAutoencoder.Load(folder["cut/sae"]);
        cut.DecoderWeights.Span.ToArray().Should().Equal(whole.DecoderWeights.Span.ToArray());
        cut.EncoderBias.ToArray().Should().Equal(whole.EncoderBias.ToArray());
        File.ReadAllLines(folder["cut/metrics.csv"]).Select(WithoutThroughput).Should().Equal(File.ReadAllLines(folder["whole/metrics.csv"]).Select(WithoutThroughput));
    }

    [Fact]
    public void Train_OnASafeTensorsTensor_WithRelu()
    {
        using var folder = new TempFolder();
        var data = new SyntheticFeatureSource(Sdict.Synthetic());
        var rows = new Matrix(256, 16);
        data.Read(rows);
        new SafeTensorsWriter().Add("acts", rows.Span, [256, 16]).Save(folder["acts.safetensors"]);

        var run = Sdict.Run("train", "--safetensors", folder["acts.safetensors"], "--tensor", "acts", "--activation", "relu", "--latents", "20", "--batch-size", "64", "--tokens", "256", "--out", folder["run"], "--no-checkpoints", "--no-plots");

        run.Exit.Should().Be(0, run.Error);
        SparseAutoencoder.Load(folder["run/sae"]).Activation.Should().BeOfType<ReLUActivation>();
        Directory.Exists(folder["run/checkpoints"]).Should().BeFalse();
    }

    [Fact]
    public void Train_UserMistakes_GiveOneLineNamingTheFlagFileOrField()
    {
        using var folder = new TempFolder();
        Sdict.WriteData(folder["data.npy"], 256);
        string[] data = ["--npy", folder["data.npy"], "--out", folder["run"]];

        Sdict.Run(["train", "--npy", folder["missing.npy"], "--out", folder["run"]]).ShouldFailWith($"{folder["missing.npy"]} (--npy / data.npy) does not exist");
        Sdict.Run(["train", "--npy", folder["data.npy"], "--latnts", "5", "--out", folder["run"]]).ShouldFailWith("--npy: --latnts is not a file or folder; if it was meant as an option, this command has no such option");
        Sdict.Run(["train", .. data, "--lr", "fast"]).ShouldFailWith("'fast' for option '--lr'");
        Sdict.Run(["train", .. data, "--lr", "-1"]).ShouldFailWith("--lr (trainer.learningRate) must be finite and > 0 but is -1");
        Sdict.Run(["train", .. data, "--batch-size", "64", "--tokens", "10"]).ShouldFailWith("--tokens (trainer.totalTokens)");
        Sdict.Run(["train", .. data, "--auxk-k", "0"]).ShouldFailWith("--auxk-k (auxK.kAux) must be at least 1");
        Sdict.Run(["train", .. data, "--mfr"]).ShouldFailWith("set --saes / sae.count to 2 or more");
        Sdict.Run(["train", .. data, "--k", "500", "--latents", "32"]).ShouldFailWith("--k / sae.k must be in [1, 32]");
        Sdict.Run(["train", .. data, "--activation", "gelu"]).ShouldFailWith("--activation: 'gelu' is not one of topk, relu");
        Sdict.Run(["train", "--out", folder["run"]]).ShouldFailWith("No data");
        Sdict.Run(["train", .. data, "--synthetic"]).ShouldFailWith("Give one data source");
        Sdict.Run(["train", "--npy", folder["data.npy"]]).ShouldFailWith("--out");
        Sdict.Run(["train", .. data, "--resume"]).ShouldFailWith("no checkpoint in");
        Sdict.Run(["train", .. data, "--no-such-flag"]).ShouldFailWith("'--no-such-flag'");
    }

    [Fact]
    public void Train_AConfigFieldThatDoesNotExist_IsNamedWithItsFileAndLine()
    {
        using var folder = new TempFolder();
        Sdict.WriteData(folder["data.npy"], 256);
        var config = folder["config.json"];
        File.WriteAllText(config, "{\n  \"trainer\": {\n    \"learningRat\": 0.001\n  }\n}\n");

        Sdict.Run("train", "--config", config, "--npy", folder["data.npy"], "--out", folder["run"]).ShouldFailWith($"{config}, line 3: unknown field 'trainer.learningRat'");

        File.WriteAllText(config, "{ \"sae\": { \"k\": \"many\" } }");
        Sdict.Run("train", "--config", config, "--npy", folder["data.npy"], "--out", folder["run"]).ShouldFailWith("field 'sae.k'");
        Sdict.Run("train", "--config", folder["nope.json"]).ShouldFailWith("config file");
    }

    [Fact]
    public void Train_RefusesToMixANewRunWithAnOldRunsCheckpoints()
    {
        using var folder = new TempFolder();
        string[] args = ["train", .. Sdict.SyntheticFlags(), "--latents", "32", "--k", "4", "--batch-size", "64", "--tokens", "256", "--checkpoint-interval", "2", "--out", folder["run"], "--no-plots"];
        Sdict.Run(args).Exit.Should().Be(0);

        Sdict.Run(args).ShouldFailWith("already holds checkpoints");
    }

    [Fact]
    public void Train_ResumeWithADifferentWidth_NamesTheCheckpointAndTheData()
    {
        using var folder = new TempFolder();
        string[] run = ["--latents", "32", "--k", "4", "--batch-size", "64", "--tokens", "256", "--checkpoint-interval", "2", "--out", folder["run"], "--no-plots"];
        Sdict.Run(["train", .. Sdict.SyntheticFlags(), .. run]).Exit.Should().Be(0);
        Sdict.WriteData(folder["wide.npy"], 256, dimension: 24);

        Sdict.Run(["train", "--resume", "--npy", folder["wide.npy"], .. run]).ShouldFailWith($"input dimension 16 but {folder["wide.npy"]} has 24 columns");
    }

    /// <summary>A metrics.csv line without its throughput cell (timing differs between runs).</summary>
    private static string WithoutThroughput(string line) => string.Join(',', line.Split(',').Where((_, i) => i != 2));
}
