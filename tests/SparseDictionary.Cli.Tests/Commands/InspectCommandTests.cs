using SparseDictionary.IO;

namespace SparseDictionary.Cli.Tests.Commands;

public sealed class InspectCommandTests
{
    [Fact]
    public void Inspect_Npy_PrintsDtypeAndShape()
    {
        using var folder = new TempFolder();
        Sdict.WriteData(folder["x.npy"], 37, dimension: 5);

        var run = Sdict.Run("inspect", folder["x.npy"]);

        run.Exit.Should().Be(0, run.Error);
        run.Out.Should().Contain("dtype float32").And.Contain("shape [37, 5]");
    }

    [Fact]
    public void Inspect_SafeTensors_PrintsTensorsAndMetadata()
    {
        using var folder = new TempFolder();
        new SafeTensorsWriter().Add("layer.acts", new float[6], [2, 3]).Add("ids", new long[4], [4]).SetMetadata("model", "tiny").Save(folder["t.safetensors"]);

        var run = Sdict.Run("inspect", folder["t.safetensors"]);

        run.Exit.Should().Be(0, run.Error);
        run.Out.Should().Contain("2 tensors").And.Contain("layer.acts").And.Contain("F32").And.Contain("[2, 3]").And.Contain("I64").And.Contain("[4]").And.Contain("model = tiny");
    }

    [Fact]
    public void Inspect_SaeFolder_PrintsLayoutConfigAndTensors()
    {
        using var folder = new TempFolder();
        new SparseAutoencoder(6, 10, new TopKActivation(2)).Save(folder["sae"], SaeFileLayout.SaeLens);

        var run = Sdict.Run("inspect", folder["sae"]);

        run.Exit.Should().Be(0, run.Error);
        run.Out.Should().Contain("sae-lens layout").And.Contain("10 latents").And.Contain("\"d_sae\": 10").And.Contain("W_enc").And.Contain("[6, 10]").And.Contain("W_dec").And.Contain("[10, 6]");
    }

    [Fact]
    public void Inspect_Checkpoints_ListsThem_AndOnePrintsItsState()
    {
        using var folder = new TempFolder();
        Sdict.Run(["train", .. Sdict.SyntheticFlags(), "--latents", "16", "--k", "2", "--batch-size", "32", "--tokens", "128", "--checkpoint-interval", "2", "--checkpoint-keep", "2", "--out", folder["run"], "--no-plots"]).Exit.Should().Be(0);

        var list = Sdict.Run("inspect", folder["run/checkpoints"]);
        var one = Sdict.Run("inspect", folder["run/checkpoints/step-0000000004"]);

        list.Exit.Should().Be(0, list.Error);
        list.Out.Should().Contain("2 checkpoints").And.Contain("step-0000000004").And.Contain("step-0000000002");
        one.Exit.Should().Be(0, one.Error);
        one.Out.Should().Contain("checkpoint after step 4").And.Contain("sae0: d = 16, 16 latents, TopK(k=2)").And.Contain("sae0.adamw.m").And.Contain("\"BatchSize\": 32");
    }

    [Fact]
    public void Inspect_WhatIsNotThere_GivesOneLine()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder["notes.txt"], "x");
        File.WriteAllText(folder["bad.npy"], "not numpy");

        Sdict.Run("inspect", folder["missing"]).ShouldFailWith($"{folder["missing"]} does not exist");
        Sdict.Run("inspect", folder["notes.txt"]).ShouldFailWith("is not a .npy, .safetensors or .json file");
        Sdict.Run("inspect", folder.Path).ShouldFailWith("is neither an SAE folder");
        Sdict.Run("inspect", folder["bad.npy"]).ShouldFailWith("bad.npy");
    }
}
