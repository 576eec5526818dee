using System.Text.Json.Nodes;
using SparseDictionary.IO;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.IO;

/// <summary>The library's own SAE layout: bit-identical round trips, registered user activations, clear refusals.</summary>
public sealed class NativeSaeLayoutTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sdict-native-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(13, 7, 3)]
    [InlineData(64, 96, 8)]
    public void SaveThenLoad_IsBitIdentical(int d, int latents, int k)
    {
        var sae = new SparseAutoencoder(d, latents, new TopKActivation(k), seed: 3);
        TestData.Gaussian(d, 5).CopyTo(sae.DecoderBias.Span);
        TestData.Gaussian(latents, 6).CopyTo(sae.EncoderBias.Span);
        // Values a text format would lose: -0, a denormal, the largest float, a NaN payload.
        sae.EncoderWeights.Span[0] = -0f;
        sae.DecoderBias.Span[0] = float.Epsilon;
        sae.EncoderBias.Span[^1] = float.MaxValue;
        sae.EncoderWeights.Span[^1] = BitConverter.Int32BitsToSingle(0x7FC0_1234);

        var directory = Path.Combine(_root, "sae");
        sae.Save(directory);
        var loaded = SparseAutoencoder.Load(directory);

        loaded.InputDimension.Should().Be(d);
        loaded.LatentCount.Should().Be(latents);
        loaded.Activation.Should().BeOfType<TopKActivation>().Which.K.Should().Be(k);
        WeightBits.Of(loaded.EncoderWeights.Span).Should().Equal(WeightBits.Of(sae.EncoderWeights.Span));
        WeightBits.Of(loaded.EncoderBias.Span).Should().Equal(WeightBits.Of(sae.EncoderBias.Span));
        WeightBits.Of(loaded.DecoderWeights.Span).Should().Equal(WeightBits.Of(sae.DecoderWeights.Span));
        WeightBits.Of(loaded.DecoderBias.Span).Should().Equal(WeightBits.Of(sae.DecoderBias.Span));
    }

    [Fact]
    public void Save_WritesTheDocumentedFiles()
    {
        var sae = new SparseAutoencoder(8, 16, new ReLUActivation(), seed: 1);
        var directory = Path.Combine(_root, "relu");
        sae.Save(directory);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "sparse_dictionary.json")))!.AsObject();
        config["format"]!.GetValue<string>().Should().Be("sparse-dictionary-sae");
        config["format_version"]!.GetValue<int>().Should().Be(1);
        config["input_dimension"]!.GetValue<int>().Should().Be(8);
        config["latent_count"]!.GetValue<int>().Should().Be(16);
        config["activation"]!.ToJsonString().Should().Be("{\"kind\":\"relu\"}");
        config["library_version"]!.GetValue<string>().Should().NotBeNullOrEmpty();

        using var weights = SafeTensorsFile.Open(Path.Combine(directory, "weights.safetensors"));
        weights.Tensors.Select(t => (t.Name, t.DataType, t.ShapeText)).Should().Equal(
            ("encoder.weight", SafeTensorsDataType.F32, "[16, 8]"),
            ("encoder.bias", SafeTensorsDataType.F32, "[16]"),
            ("decoder.weight", SafeTensorsDataType.F32, "[16, 8]"),
            ("decoder.bias", SafeTensorsDataType.F32, "[8]"));
        weights.GetMatrix("decoder.weight").Span.ToArray().Should().Equal(sae.DecoderWeights.Span.ToArray());
    }

    [Fact]
    public void UserActivation_LoadsOnceRegistered()
    {
        var directory = Path.Combine(_root, "custom");
        var sae = new SparseAutoencoder(6, 10, new SoftplusTopKActivation(2), seed: 2);
        var unregistered = () => sae.Save(directory);
        unregistered.Should().Throw<ArgumentException>().WithMessage("*not registered*ActivationRegistry.Register*");

        ActivationRegistry.Register<SoftplusTopKActivation>(
            "test-softplus-topk",
            a => new JsonObject { ["k"] = a.K },
            p => new SoftplusTopKActivation(ActivationRegistry.ReadInt(p, "k")));
        ActivationRegistry.IsRegistered("test-softplus-topk").Should().BeTrue();
        sae.Save(directory);
        var loaded = SparseAutoencoder.Load(directory);
        loaded.Activation.Should().BeOfType<SoftplusTopKActivation>().Which.K.Should().Be(2);

        var again = () => ActivationRegistry.Register<SoftplusTopKActivation>("other", a => [], p => new SoftplusTopKActivation(1));
        again.Should().Throw<ArgumentException>().WithMessage("*already registered*");
    }

    [Fact]
    public void Load_RefusesBadFolders_NamingThePath()
    {
        var missing = Path.Combine(_root, "missing");
        FluentActions.Invoking(() => SparseAutoencoder.Load(missing)).Should().Throw<DirectoryNotFoundException>().WithMessage($"*{missing}*");

        var empty = Path.Combine(_root, "empty");
        Directory.CreateDirectory(empty);
        FluentActions.Invoking(() => SparseAutoencoder.Load(empty)).Should().Throw<InvalidDataException>().WithMessage($"*{empty}*");

        var directory = Path.Combine(_root, "sae");
        new SparseAutoencoder(4, 8, new TopKActivation(2), seed: 1).Save(directory);
        var config = Path.Combine(directory, "sparse_dictionary.json");
        var text = File.ReadAllText(config);

        File.WriteAllText(config, text.Replace("\"topk\"", "\"jumprelu\"", StringComparison.Ordinal));
        FluentActions.Invoking(() => SparseAutoencoder.Load(directory)).Should().Throw<InvalidDataException>().WithMessage("*'jumprelu' is not registered*");

        File.WriteAllText(config, text.Replace("\"latent_count\": 8", "\"latent_count\": 9", StringComparison.Ordinal));
        FluentActions.Invoking(() => SparseAutoencoder.Load(directory)).Should().Throw<InvalidDataException>().WithMessage("*encoder.weight*[8, 4]*expected F32 [9, 4]*");

        File.WriteAllText(config, "{ not json");
        FluentActions.Invoking(() => SparseAutoencoder.Load(directory)).Should().Throw<InvalidDataException>().WithMessage($"*{config}*");

        File.WriteAllText(config, text);
        File.Delete(Path.Combine(directory, "weights.safetensors"));
        FluentActions.Invoking(() => SparseAutoencoder.Load(directory)).Should().Throw<FileNotFoundException>().WithMessage("*weights.safetensors*");
    }
}
