using System.Text.Json;
using SparseDictionary.IO;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.IO;

public sealed class SparsifyLayoutTests : IDisposable
{
    private const int D = 20;
    private const int H = 56;
    private const int K = 6;
    private const int Rows = 64;

    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Raw sparsify weights: encoder.weight [num_latents, d_in], encoder.bias, W_dec [num_latents, d_in], b_dec.</summary>
    private sealed record Weights(float[] Encoder, float[] EncoderBias, float[] Decoder, float[] DecoderBias)
    {
        public Weights Map(Func<float, float> round) =>
            new(Encoder.Select(round).ToArray(), EncoderBias.Select(round).ToArray(), Decoder.Select(round).ToArray(), DecoderBias.Select(round).ToArray());
    }

    private static Weights RandomWeights(int seed, float encoderBiasShift = 0)
    {
        var decoder = TestData.Gaussian(H * D, seed + 2);
        for (var j = 0; j < H; j++)
        {
            var row = decoder.AsSpan(j * D, D);
            var norm = MathF.Sqrt(row.ToArray().Sum(v => v * v));
            foreach (ref var v in row)
            {
                v /= norm;
            }
        }

        return new Weights(
            TestData.Gaussian(H * D, seed, 0.3f),
            TestData.Gaussian(H, seed + 1, 0.2f).Select(v => v + encoderBiasShift).ToArray(),
            decoder,
            TestData.Gaussian(D, seed + 3, 0.5f));
    }

    /// <summary>A config as sparsify's save_to_disk writes it: SparseCoderConfig.to_dict() plus d_in.</summary>
    private static Dictionary<string, object?> Config() => new()
    {
        ["activation"] = "topk",
        ["expansion_factor"] = 32,
        ["normalize_decoder"] = true,
        ["num_latents"] = H,
        ["k"] = K,
        ["multi_topk"] = false,
        ["skip_connection"] = false,
        ["transcode"] = false,
        ["d_in"] = D,
    };

    private string WriteFolder(Dictionary<string, object?>? config, Weights? weights, SafeTensorsDataType type = SafeTensorsDataType.F32, string name = "sae", Action<SafeTensorsWriter>? extra = null)
    {
        var directory = _folder.Folder(name);
        if (config is not null)
        {
            File.WriteAllText(Path.Combine(directory, SparsifyLayout.ConfigFileName), JsonSerializer.Serialize(config));
        }

        if (weights is not null)
        {
            var path = Path.Combine(directory, SparsifyLayout.WeightsFileName);
            if (type == SafeTensorsDataType.F16)
            {
                File.WriteAllBytes(path, RawSafeTensors.Build(
                    ("encoder.weight", "F16", [H, D], RawSafeTensors.Halves(weights.Encoder)),
                    ("encoder.bias", "F16", [H], RawSafeTensors.Halves(weights.EncoderBias)),
                    ("W_dec", "F16", [H, D], RawSafeTensors.Halves(weights.Decoder)),
                    ("b_dec", "F16", [D], RawSafeTensors.Halves(weights.DecoderBias))));
            }
            else
            {
                // The order safetensors' PyTorch save_model produces does not matter; use another than Save's.
                var writer = new SafeTensorsWriter()
                    .Add("W_dec", weights.Decoder, [H, D], type)
                    .Add("b_dec", weights.DecoderBias, [D], type)
                    .Add("encoder.bias", weights.EncoderBias, [H], type)
                    .Add("encoder.weight", weights.Encoder, [H, D], type);
                extra?.Invoke(writer);
                writer.Save(path);
            }
        }

        return directory;
    }

    /// <summary>
    /// sparsify's forward pass (SparseCoder.encode, transcode = false) in plain double loops on the raw weights:
    /// pre = ReLU(encoder.weight (x - b_dec) + encoder.bias); the k largest entries of pre are kept.
    /// </summary>
    private static ReferenceRow Encode(Weights w, ReadOnlySpan<float> x)
    {
        var pre = new double[H];
        var tolerance = new double[H];
        for (var j = 0; j < H; j++)
        {
            double sum = w.EncoderBias[j];
            double magnitude = Math.Abs(w.EncoderBias[j]);
            for (var i = 0; i < D; i++)
            {
                sum += ((double)x[i] - w.DecoderBias[i]) * w.Encoder[(j * D) + i];
                magnitude += Math.Abs(w.Encoder[(j * D) + i]) * (Math.Abs(x[i]) + Math.Abs(w.DecoderBias[i]));
            }

            pre[j] = sum;
            tolerance[j] = ForwardComparison.SumTolerance(D, magnitude);
        }

        // ReLU first, then the top k (of which some may be zeros); only the positive ones change the output.
        var relu = pre.Select(p => Math.Max(p, 0)).ToArray();
        var order = Enumerable.Range(0, H).OrderByDescending(j => relu[j]).ToArray();
        var codes = new double[H];
        var ambiguous = false;
        foreach (var j in order.Take(K))
        {
            codes[j] = relu[j];
            ambiguous |= Math.Abs(pre[j]) <= tolerance[j];
        }

        ambiguous |= relu[order[K - 1]] > 0 && relu[order[K - 1]] - relu[order[K]] <= tolerance[order[K - 1]] + tolerance[order[K]];
        return new ReferenceRow(pre, codes, tolerance, ambiguous);
    }

    /// <summary>sparsify's decode in double: x̂ = W_decᵀ z + b_dec, with the error bound from the codes' tolerances.</summary>
    private static (double[] Output, double[] Tolerance) Decode(Weights w, double[] z, double[] codeTolerance)
    {
        var output = new double[D];
        var tolerance = new double[D];
        var active = z.Count(v => v != 0);
        for (var i = 0; i < D; i++)
        {
            double sum = w.DecoderBias[i];
            double magnitude = Math.Abs(w.DecoderBias[i]);
            double propagated = 0;
            for (var j = 0; j < H; j++)
            {
                var weight = w.Decoder[(j * D) + i];
                sum += z[j] * weight;
                magnitude += Math.Abs(z[j] * weight);
                propagated += codeTolerance[j] * Math.Abs(weight);
            }

            output[i] = sum;
            tolerance[i] = ForwardComparison.SumTolerance(active, magnitude) + propagated;
        }

        return (output, tolerance);
    }

    private static void AssertMatchesSparsify(SparseAutoencoder sae, Weights w)
    {
        var x = TestData.GaussianMatrix(Rows, D, 77, 1.5f);
        var codes = sae.Encode(x);
        var reconstruction = sae.Reconstruct(x);
        var ambiguous = 0;
        for (var r = 0; r < Rows; r++)
        {
            var reference = Encode(w, x.Row(r));
            ForwardComparison.AssertCodes(codes, r, reference);
            if (reference.Ambiguous)
            {
                ambiguous++;
                continue;
            }

            var (expected, tolerance) = Decode(w, reference.Codes, reference.Tolerance);
            ForwardComparison.AssertClose(reconstruction.Row(r), expected, tolerance, $"reconstruction of row {r}");
        }

        ambiguous.Should().BeLessThanOrEqualTo(Rows / 32);

        var someCodes = TestData.RandomCodes(16, H, K, 6);
        var decoded = sae.Decode(someCodes);
        for (var r = 0; r < someCodes.Rows; r++)
        {
            var dense = new double[H];
            for (var a = 0; a < someCodes.Count(r); a++)
            {
                dense[someCodes.Indices(r)[a]] = someCodes.Values(r)[a];
            }

            var (expected, tolerance) = Decode(w, dense, new double[H]);
            ForwardComparison.AssertClose(decoded.Row(r), expected, tolerance, $"decode of row {r}");
        }
    }

    [Fact]
    public void IsLayout_NeedsBothFiles()
    {
        var complete = WriteFolder(Config(), RandomWeights(1), name: "complete");
        SparsifyLayout.IsLayout(complete).Should().BeTrue();
        SparsifyLayout.IsLayout(WriteFolder(Config(), null, name: "config-only")).Should().BeFalse();
        SparsifyLayout.IsLayout(WriteFolder(null, RandomWeights(1), name: "weights-only")).Should().BeFalse();
        SparsifyLayout.IsLayout(_folder.File("absent")).Should().BeFalse();
        SaeLensLayout.IsLayout(complete).Should().BeFalse();
    }

    [Fact]
    public void Load_MatchesSparsifyForward()
    {
        var weights = RandomWeights(1);
        var sae = SparsifyLayout.Load(WriteFolder(Config(), weights));
        sae.Activation.Should().BeOfType<TopKActivation>().Which.K.Should().Be(K);
        sae.InputDimension.Should().Be(D);
        sae.LatentCount.Should().Be(H);
        sae.EncoderWeights.Span.ToArray().Should().Equal(weights.Encoder, "the encoder rows are taken as they are");
        sae.DecoderWeights.Span.ToArray().Should().Equal(weights.Decoder);
        sae.EncoderBias.Span.ToArray().Should().Equal(weights.EncoderBias);
        sae.DecoderBias.Span.ToArray().Should().Equal(weights.DecoderBias);
        AssertMatchesSparsify(sae, weights);
    }

    [Fact]
    public void Load_FewerPositiveThanK_MatchesSparsifyForward()
    {
        // A negative encoder bias leaves most rows with fewer than k positive pre-activations: sparsify's top k then
        // includes zeros, which must not change the reconstruction.
        var weights = RandomWeights(2, encoderBiasShift: -4f);
        var sae = SparsifyLayout.Load(WriteFolder(Config(), weights));
        var codes = sae.Encode(TestData.GaussianMatrix(Rows, D, 77, 1.5f));
        Enumerable.Range(0, Rows).Count(r => codes.Count(r) < K).Should().BeGreaterThan(Rows / 2);
        codes.TotalActive.Should().BeGreaterThan(0);
        AssertMatchesSparsify(sae, weights);
    }

    [Fact]
    public void Load_InfersLatentsFromExpansionFactor()
    {
        var weights = RandomWeights(3);
        var config = Config();
        config.Remove("num_latents");
        config["expansion_factor"] = H / D + 1; // 56 is not a multiple of 20
        var directory = WriteFolder(config, weights, name: "wrong-factor");
        FluentActions.Invoking(() => SparsifyLayout.Load(directory)).Should().Throw<InvalidDataException>().WithMessage("*encoder.weight*[56, 20]*[60, 20]*");

        // An SAE whose width is a multiple of d_in, described by expansion_factor alone (num_latents 0, as older sparsify wrote).
        const int Factor = 2;
        var wide = new Weights(TestData.Gaussian(2 * D * D, 4), TestData.Gaussian(2 * D, 5), TestData.Gaussian(2 * D * D, 6), TestData.Gaussian(D, 7));
        var folder = _folder.Folder("factor");
        File.WriteAllText(Path.Combine(folder, SparsifyLayout.ConfigFileName), $"{{\"expansion_factor\": {Factor}, \"normalize_decoder\": true, \"num_latents\": 0, \"k\": 3, \"d_in\": {D}}}");
        new SafeTensorsWriter()
            .Add("encoder.weight", wide.Encoder, [Factor * D, D]).Add("encoder.bias", wide.EncoderBias, [Factor * D])
            .Add("W_dec", wide.Decoder, [Factor * D, D]).Add("b_dec", wide.DecoderBias, [D])
            .Save(Path.Combine(folder, SparsifyLayout.WeightsFileName));
        var sae = SparsifyLayout.Load(folder);
        sae.LatentCount.Should().Be(Factor * D);
        ((TopKActivation)sae.Activation).K.Should().Be(3);
    }

    [Fact]
    public void Load_OldEleutherSaeConfig_UsesItsDefaults()
    {
        // EleutherAI/sae wrote no activation, num_latents or transcode fields: they take sparsify's defaults.
        var weights = RandomWeights(8);
        var directory = _folder.Folder("old");
        File.WriteAllText(Path.Combine(directory, SparsifyLayout.ConfigFileName), $"{{\"expansion_factor\": 32, \"normalize_decoder\": true, \"num_latents\": {H}, \"k\": {K}, \"signed\": false, \"d_in\": {D}}}");
        new SafeTensorsWriter()
            .Add("encoder.weight", weights.Encoder, [H, D]).Add("encoder.bias", weights.EncoderBias, [H])
            .Add("W_dec", weights.Decoder, [H, D]).Add("b_dec", weights.DecoderBias, [D])
            .Save(Path.Combine(directory, SparsifyLayout.WeightsFileName));
        AssertMatchesSparsify(SparsifyLayout.Load(directory), weights);
    }

    [Fact]
    public void Load_BF16Tensors_AreConvertedExactly()
    {
        var weights = RandomWeights(9).Map(v => BitConverter.UInt32BitsToSingle((uint)SafeTensorsWriter.ToBFloat16(v) << 16));
        var sae = SparsifyLayout.Load(WriteFolder(Config(), weights, SafeTensorsDataType.BF16));
        sae.EncoderWeights.Span.ToArray().Should().Equal(weights.Encoder);
        AssertMatchesSparsify(sae, weights);
    }

    [Fact]
    public void Load_F16Tensors_AreConvertedExactly()
    {
        var weights = RandomWeights(10).Map(v => (float)(Half)v);
        var sae = SparsifyLayout.Load(WriteFolder(Config(), weights, SafeTensorsDataType.F16));
        sae.DecoderWeights.Span.ToArray().Should().Equal(weights.Decoder);
        AssertMatchesSparsify(sae, weights);
    }

    [Fact]
    public void Load_IgnoresUnknownFields()
    {
        var weights = RandomWeights(11);
        var config = Config();
        config["some_future_option"] = new Dictionary<string, object?> { ["x"] = 1 };
        config["multi_topk"] = true;
        config["normalize_decoder"] = false;
        AssertMatchesSparsify(SparsifyLayout.Load(WriteFolder(config, weights)), weights);
    }

    [Fact]
    public void SaveThenLoad_IsBitIdentical()
    {
        var original = new SparseAutoencoder(D, H, new TopKActivation(K), seed: 12);
        TestData.Gaussian(H * D, 13, 0.4f).CopyTo(original.EncoderWeights.Span);
        TestData.Gaussian(H, 14, 0.2f).CopyTo(original.EncoderBias.Span);
        TestData.Gaussian(D, 15, 0.5f).CopyTo(original.DecoderBias.Span);
        original.DecoderBias.Span[2] = -0f;
        original.EncoderWeights.Span[5] = 1e-40f;

        var directory = _folder.Folder("saved");
        SparsifyLayout.Save(original, directory);
        var loaded = SparsifyLayout.Load(directory);

        Bits(loaded.EncoderWeights.Span).Should().Equal(Bits(original.EncoderWeights.Span));
        Bits(loaded.EncoderBias.Span).Should().Equal(Bits(original.EncoderBias.Span));
        Bits(loaded.DecoderWeights.Span).Should().Equal(Bits(original.DecoderWeights.Span));
        Bits(loaded.DecoderBias.Span).Should().Equal(Bits(original.DecoderBias.Span));
        loaded.Activation.Should().BeOfType<TopKActivation>().Which.K.Should().Be(K);
        var x = TestData.GaussianMatrix(8, D, 16);
        Bits(loaded.Reconstruct(x).Span).Should().Equal(Bits(original.Reconstruct(x).Span));
    }

    [Fact]
    public void Save_WritesTheSparsifyLayout()
    {
        var sae = new SparseAutoencoder(D, H, new TopKActivation(K), seed: 17);
        var directory = _folder.Folder("layout");
        SparsifyLayout.Save(sae, directory);

        Directory.GetFiles(directory).Select(Path.GetFileName).Should().BeEquivalentTo(SparsifyLayout.ConfigFileName, SparsifyLayout.WeightsFileName);
        using (var file = SafeTensorsFile.Open(Path.Combine(directory, SparsifyLayout.WeightsFileName)))
        {
            file.Tensors.Select(t => (t.Name, t.DataType, string.Join("x", t.Shape))).Should().BeEquivalentTo(
            [
                ("encoder.weight", SafeTensorsDataType.F32, $"{H}x{D}"),
                ("encoder.bias", SafeTensorsDataType.F32, $"{H}"),
                ("W_dec", SafeTensorsDataType.F32, $"{H}x{D}"),
                ("b_dec", SafeTensorsDataType.F32, $"{D}"),
            ]);
            file.ReadSingle("encoder.weight").Should().Equal(sae.EncoderWeights.Span.ToArray());
            file.ReadSingle("W_dec").Should().Equal(sae.DecoderWeights.Span.ToArray());
        }

        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, SparsifyLayout.ConfigFileName)));
        config.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText()).Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["activation"] = "\"topk\"",
            ["expansion_factor"] = $"{H / D}",
            ["normalize_decoder"] = "true",
            ["num_latents"] = $"{H}",
            ["k"] = $"{K}",
            ["multi_topk"] = "false",
            ["skip_connection"] = "false",
            ["transcode"] = "false",
            ["d_in"] = $"{D}",
        });
    }

    [Fact]
    public void Save_DeclaresNormalizeDecoderFromTheRowNorms()
    {
        var sae = new SparseAutoencoder(D, H, new TopKActivation(K), seed: 18);
        sae.DecoderWeights.Row(3).Clear();
        var unit = _folder.Folder("unit");
        SparsifyLayout.Save(sae, unit);
        ReadConfig(unit).GetProperty("normalize_decoder").GetBoolean().Should().BeTrue("unit rows and a zero row are normalised");

        sae.DecoderWeights.Row(5)[0] *= 1.01f;
        var scaled = _folder.Folder("scaled");
        SparsifyLayout.Save(sae, scaled);
        ReadConfig(scaled).GetProperty("normalize_decoder").GetBoolean().Should().BeFalse();
    }

    [Fact]
    public void Save_RefusesAnActivationOtherThanTopK()
    {
        var sae = new SparseAutoencoder(D, H, new ReLUActivation(), seed: 1);
        FluentActions.Invoking(() => SparsifyLayout.Save(sae, _folder.Folder("relu")))
            .Should().Throw<ArgumentException>().WithMessage("*ReLU*TopK SAEs only*");
    }

    public static TheoryData<string, string> RefusedConfigs() => new()
    {
        { "activation groupmax", "'activation' is \"groupmax\"" },
        { "activation unknown", "'activation' is \"jumprelu\"" },
        { "transcode", "'transcode' is true" },
        { "skip_connection", "'skip_connection' is true" },
        { "signed", "'signed' is true" },
        { "d_in missing", "no 'd_in'" },
        { "d_in mismatch", "Tensor 'encoder.weight'" },
        { "num_latents mismatch", "Tensor 'encoder.weight'" },
        { "num_latents negative", "'num_latents' is -1" },
        { "k missing", "no 'k'" },
        { "k zero", "'k' is 0" },
        { "k above latents", "k = 57 but the SAE has 56 latents" },
        { "k fractional", "'k' is 6.5" },
        { "normalize_decoder not a bool", "'normalize_decoder' is \"true\"" },
        { "transcode not a bool", "'transcode' is 0" },
        { "expansion overflow", "more than 2147483647" },
    };

    [Theory]
    [MemberData(nameof(RefusedConfigs))]
    public void Load_RefusesConfig(string description, string fragment)
    {
        var config = Config();
        switch (description)
        {
            case "activation groupmax": config["activation"] = "groupmax"; break;
            case "activation unknown": config["activation"] = "jumprelu"; break;
            case "transcode": config["transcode"] = true; break;
            case "skip_connection": config["skip_connection"] = true; break;
            case "signed": config["signed"] = true; break;
            case "d_in missing": config.Remove("d_in"); break;
            case "d_in mismatch": config["d_in"] = D + 1; break;
            case "num_latents mismatch": config["num_latents"] = H + 8; break;
            case "num_latents negative": config["num_latents"] = -1; break;
            case "k missing": config.Remove("k"); break;
            case "k zero": config["k"] = 0; break;
            case "k above latents": config["k"] = H + 1; break;
            case "k fractional": config["k"] = 6.5; break;
            case "normalize_decoder not a bool": config["normalize_decoder"] = "true"; break;
            case "transcode not a bool": config["transcode"] = 0; break;
            case "expansion overflow": config["num_latents"] = 0; config["expansion_factor"] = int.MaxValue; break;
            default: throw new ArgumentException(description);
        }

        var directory = WriteFolder(config, RandomWeights(20));
        FluentActions.Invoking(() => SparsifyLayout.Load(directory)).Should().Throw<InvalidDataException>(description)
            .Which.Message.Should().Contain(directory).And.Contain(fragment);
    }

    public static TheoryData<string, string> RefusedFiles() => new()
    {
        { "no config", "cfg.json does not exist" },
        { "no weights", "sae.safetensors does not exist" },
        { "config not JSON", "is not valid JSON" },
        { "config too deep", "is not valid JSON" },
        { "config lone surrogate", "unpaired surrogate" },
        { "encoder.weight missing", "has no tensor 'encoder.weight' (expected shape [56, 20])" },
        { "W_dec missing", "has no tensor 'W_dec'" },
        { "encoder transposed", "(the transpose of the expected shape)" },
        { "b_dec wrong length", "Tensor 'b_dec'" },
        { "W_skip present", "'W_skip'" },
        { "encoder 3-D", "Tensor 'encoder.weight'" },
        { "bias I64", "is I64; expected a floating-point type" },
    };

    [Theory]
    [MemberData(nameof(RefusedFiles))]
    public void Load_RefusesMalformedFiles(string description, string fragment)
    {
        var weights = RandomWeights(21);
        var directory = _folder.Folder("files");
        var config = Path.Combine(directory, SparsifyLayout.ConfigFileName);
        var tensors = Path.Combine(directory, SparsifyLayout.WeightsFileName);
        File.WriteAllText(config, JsonSerializer.Serialize(Config()));
        var writer = new SafeTensorsWriter();
        void Standard(params string[] except)
        {
            if (!except.Contains("encoder.weight"))
            {
                writer.Add("encoder.weight", weights.Encoder, [H, D]);
            }

            if (!except.Contains("encoder.bias"))
            {
                writer.Add("encoder.bias", weights.EncoderBias, [H]);
            }

            if (!except.Contains("W_dec"))
            {
                writer.Add("W_dec", weights.Decoder, [H, D]);
            }

            if (!except.Contains("b_dec"))
            {
                writer.Add("b_dec", weights.DecoderBias, [D]);
            }
        }

        switch (description)
        {
            case "no config": Standard(); File.Delete(config); break;
            case "no weights": break;
            case "config not JSON": Standard(); File.WriteAllText(config, "{\"k\": 6"); break;
            case "config too deep": Standard(); File.WriteAllText(config, "{\"k\": " + new string('[', 100) + new string(']', 100) + "}"); break;
            case "config lone surrogate": Standard(); File.WriteAllText(config, "{\"\\udfff\": 1, \"d_in\": 20, \"k\": 6}"); break;
            case "encoder.weight missing": Standard("encoder.weight"); break;
            case "W_dec missing": Standard("W_dec"); break;
            case "encoder transposed": Standard("encoder.weight"); writer.Add("encoder.weight", weights.Encoder, [D, H]); break;
            case "b_dec wrong length": Standard("b_dec"); writer.Add("b_dec", weights.Encoder[..(D + 1)], [D + 1]); break;
            case "W_skip present": Standard(); writer.Add("W_skip", new float[D * D], [D, D]); break;
            case "encoder 3-D": Standard("encoder.weight"); writer.Add("encoder.weight", weights.Encoder, [H, D, 1]); break;
            case "bias I64": Standard("encoder.bias"); writer.Add("encoder.bias", new long[H], [H]); break;
            default: throw new ArgumentException(description);
        }

        if (description != "no weights")
        {
            writer.Save(tensors);
        }

        FluentActions.Invoking(() => SparsifyLayout.Load(directory)).Should().Throw<InvalidDataException>(description)
            .Which.Message.Should().Contain(directory).And.Contain(fragment);
    }

    [Fact]
    public void Load_MissingFolder_Throws()
    {
        FluentActions.Invoking(() => SparsifyLayout.Load(_folder.File("absent"))).Should().Throw<DirectoryNotFoundException>().WithMessage("*absent*");
    }

    private static JsonElement ReadConfig(string directory)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, SparsifyLayout.ConfigFileName)));
        return document.RootElement.Clone();
    }

    private static uint[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new uint[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            bits[i] = BitConverter.SingleToUInt32Bits(values[i]);
        }

        return bits;
    }
}
