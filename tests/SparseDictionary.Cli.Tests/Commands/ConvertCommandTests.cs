namespace SparseDictionary.Cli.Tests.Commands;

public sealed class ConvertCommandTests
{
    [Theory]
    [InlineData("sae-lens", SaeFileLayout.SaeLens)]
    [InlineData("sparsify", SaeFileLayout.Sparsify)]
    [InlineData("native", SaeFileLayout.Native)]
    public void Convert_WritesTheLayout_AndBackGivesTheSameWeights(string name, SaeFileLayout layout)
    {
        using var folder = new TempFolder();
        var sae = new SparseAutoencoder(12, 20, new TopKActivation(4), 3);
        sae.Save(folder["native"]);

        var there = Sdict.Run("convert", folder["native"], folder["other"], "--to", name);
        var back = Sdict.Run("convert", folder["other"], folder["back"], "--to", "native");

        there.Exit.Should().Be(0, there.Error);
        there.Out.Should().Contain($"({name})").And.Contain("20 latents");
        back.Exit.Should().Be(0, back.Error);
        SparseAutoencoder.DetectLayout(folder["other"]).Should().Be(layout);
        var loaded = SparseAutoencoder.Load(folder["back"]);
        loaded.EncoderWeights.Span.ToArray().Should().Equal(sae.EncoderWeights.Span.ToArray());
        loaded.DecoderWeights.Span.ToArray().Should().Equal(sae.DecoderWeights.Span.ToArray());
        loaded.EncoderBias.ToArray().Should().Equal(sae.EncoderBias.ToArray());
        loaded.DecoderBias.ToArray().Should().Equal(sae.DecoderBias.ToArray());
    }

    [Fact]
    public void Convert_FromACheckpoint_TakesTheChosenSae()
    {
        using var folder = new TempFolder();
        Sdict.Run(["train", .. Sdict.SyntheticFlags(), "--saes", "2", "--latents", "16", "--k", "2", "--batch-size", "32", "--tokens", "64", "--checkpoint-interval", "2", "--out", folder["run"], "--no-plots"]).Exit.Should().Be(0);

        Sdict.Run("convert", folder["run/checkpoints"], folder["x"], "--to", "sparsify").ShouldFailWith("holds 2 SAEs; choose one with --index 0 to 1");
        Sdict.Run("convert", folder["run/checkpoints"], folder["x"], "--to", "sparsify", "--index", "2").ShouldFailWith("--index 2 is out of range");
        var run = Sdict.Run("convert", folder["run/checkpoints"], folder["x"], "--to", "sparsify", "--index", "1");

        run.Exit.Should().Be(0, run.Error);
        SparseAutoencoder.Load(folder["x"]).DecoderWeights.Span.ToArray().Should().Equal(SparseAutoencoder.Load(folder["run/sae-1"]).DecoderWeights.Span.ToArray());
    }

    [Fact]
    public void Convert_UserMistakes_GiveOneLine()
    {
        using var folder = new TempFolder();
        new SparseAutoencoder(8, 10, new ReLUActivation()).Save(folder["relu"]);
        Directory.CreateDirectory(folder["full"]);
        File.WriteAllText(folder["full/file.txt"], "x");

        Sdict.Run("convert", folder["relu"], folder["out"], "--to", "sparsify").ShouldFailWith("TopK");
        Sdict.Run("convert", folder["relu"], folder["full"], "--to", "sae-lens").ShouldFailWith("pass --force");
        Sdict.Run("convert", folder["relu"], folder["relu"], "--to", "sae-lens").ShouldFailWith("is the input folder");
        Sdict.Run("convert", folder["relu"], folder["out"], "--to", "onnx").ShouldFailWith("--to: 'onnx' is not one of native, sae-lens, sparsify");
        Sdict.Run("convert", folder["relu"], folder["out"]).ShouldFailWith("--to");
        Sdict.Run("convert", folder["missing"], folder["out"], "--to", "native").ShouldFailWith("does not exist");
    }
}
