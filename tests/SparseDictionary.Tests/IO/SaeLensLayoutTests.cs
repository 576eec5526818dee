using System.Text.Json;
using SparseDictionary.IO;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.IO;

public sealed class SaeLensLayoutTests : IDisposable
{
    private const int D = 24;
    private const int H = 40;
    private const int K = 5;
    private const int Rows = 64;

    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Raw SAELens weights: W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in] with rows of various norms, b_dec [d_in].</summary>
    private sealed record Weights(float[] EncoderT, float[] EncoderBias, float[] Decoder, float[] DecoderBias)
    {
        public Weights Map(Func<float, float> round) =>
            new(EncoderT.Select(round).ToArray(), EncoderBias.Select(round).ToArray(), Decoder.Select(round).ToArray(), DecoderBias.Select(round).ToArray());
    }

    private static Weights RandomWeights(int seed)
    {
        var decoder = TestData.Gaussian(H * D, seed + 2, 0.3f);
        for (var j = 0; j < H; j++)
        {
            // Rows of norm between about 0.7 and 2.2, so that rescaling by decoder norms matters.
            var scale = 0.5f + (j % 7 * 0.25f);
            for (var i = 0; i < D; i++)
            {
                decoder[(j * D) + i] *= scale;
            }
        }

        return new Weights(TestData.Gaussian(D * H, seed, 0.3f), TestData.Gaussian(H, seed + 1, 0.2f), decoder, TestData.Gaussian(D, seed + 3, 0.5f));
    }

    private static Dictionary<string, object?> Config(string architecture, int? k = K) => new()
    {
        ["architecture"] = architecture,
        ["d_in"] = D,
        ["d_sae"] = H,
        ["dtype"] = "float32",
        ["device"] = "cuda",
        ["apply_b_dec_to_input"] = true,
        ["normalize_activations"] = "none",
        ["reshape_activations"] = "none",
        ["k"] = architecture == "topk" ? k : null,
        ["metadata"] = new Dictionary<string, object?>
        {
            ["sae_lens_version"] = "6.5.2",
            ["sae_lens_training_version"] = "6.5.2",
            ["model_name"] = "gpt2",
            ["hook_name"] = "blocks.6.hook_resid_post",
            ["context_size"] = 128,
        },
    };

    /// <summary>A SAELens 5 config as SAELens's own trainer wrote it (TopK through activation_fn_str).</summary>
    private static Dictionary<string, object?> LegacyConfig(bool topK) => new()
    {
        ["model_name"] = "gpt2-small",
        ["hook_point"] = "blocks.8.hook_resid_pre",
        ["hook_point_layer"] = 8,
        ["hook_point_head_index"] = null,
        ["d_in"] = D,
        ["d_sae"] = H,
        ["dtype"] = "torch.float32",
        ["device"] = "cuda",
        ["activation_fn_str"] = topK ? "topk" : "relu",
        ["activation_fn_kwargs"] = topK ? new Dictionary<string, object?> { ["k"] = K } : new Dictionary<string, object?>(),
        ["apply_b_dec_to_input"] = true,
        ["normalize_activations"] = false,
        ["finetuning_scaling_factor"] = false,
        ["sae_lens_training_version"] = "3.13.0",
        ["context_size"] = 128,
        ["prepend_bos"] = true,
        ["dataset_path"] = "apollo-research/Skylion007-openwebtext-tokenizer-gpt2",
        ["neuronpedia_id"] = null,
    };

    private string WriteFolder(Dictionary<string, object?>? config, Weights? weights, SafeTensorsDataType type = SafeTensorsDataType.F32, string name = "sae", Action<SafeTensorsWriter>? extra = null)
    {
        var directory = _folder.Folder(name);
        if (config is not null)
        {
            File.WriteAllText(Path.Combine(directory, SaeLensLayout.ConfigFileName), JsonSerializer.Serialize(config));
        }

        if (weights is not null)
        {
            var path = Path.Combine(directory, SaeLensLayout.WeightsFileName);
            if (type == SafeTensorsDataType.F16)
            {
                File.WriteAllBytes(path, RawSafeTensors.Build(
                    ("W_enc", "F16", [D, H], RawSafeTensors.Halves(weights.EncoderT)),
                    ("W_dec", "F16", [H, D], RawSafeTensors.Halves(weights.Decoder)),
                    ("b_enc", "F16", [H], RawSafeTensors.Halves(weights.EncoderBias)),
                    ("b_dec", "F16", [D], RawSafeTensors.Halves(weights.DecoderBias))));
            }
            else
            {
                var writer = new SafeTensorsWriter()
                    .Add("b_dec", weights.DecoderBias, [D], type)
                    .Add("b_enc", weights.EncoderBias, [H], type)
                    .Add("W_dec", weights.Decoder, [H, D], type)
                    .Add("W_enc", weights.EncoderT, [D, H], type);
                extra?.Invoke(writer);
                writer.Save(path);
            }
        }

        return directory;
    }

    /// <summary>
    /// SAELens's forward pass in plain double loops on the raw weights: sae_in = x - a b_dec; pre = sae_in W_enc + b_enc;
    /// with rescaling pre ⊙ ‖W_dec rows‖; "standard" z = ReLU(pre), "topk" z = ReLU of the k largest, 0 elsewhere.
    /// </summary>
    private static ReferenceRow Encode(Weights w, ReadOnlySpan<float> x, int? k, bool applyDecoderBias, bool rescale)
    {
        var norms = DecoderNorms(w);
        var pre = new double[H];
        var tolerance = new double[H];
        for (var j = 0; j < H; j++)
        {
            double sum = w.EncoderBias[j];
            double magnitude = Math.Abs(w.EncoderBias[j]);
            for (var i = 0; i < D; i++)
            {
                var input = x[i] - (applyDecoderBias ? (double)w.DecoderBias[i] : 0);
                sum += input * w.EncoderT[(i * H) + j];
                magnitude += Math.Abs(w.EncoderT[(i * H) + j]) * (Math.Abs(x[i]) + (2 * Math.Abs(w.DecoderBias[i])));
            }

            var scale = rescale ? norms[j] : 1;
            pre[j] = sum * scale;
            tolerance[j] = ForwardComparison.SumTolerance(D, magnitude * scale);
        }

        var codes = new double[H];
        var ambiguous = false;
        if (k is { } kk)
        {
            var order = Enumerable.Range(0, H).OrderByDescending(j => pre[j]).ToArray();
            foreach (var j in order.Take(kk))
            {
                codes[j] = Math.Max(pre[j], 0);
                ambiguous |= Math.Abs(pre[j]) <= tolerance[j];
            }

            ambiguous |= pre[order[kk - 1]] - pre[order[kk]] <= tolerance[order[kk - 1]] + tolerance[order[kk]];
        }
        else
        {
            for (var j = 0; j < H; j++)
            {
                codes[j] = Math.Max(pre[j], 0);
                ambiguous |= Math.Abs(pre[j]) <= tolerance[j];
            }
        }

        return new ReferenceRow(pre, codes, tolerance, ambiguous);
    }

    /// <summary>SAELens's decode in double: x̂ = z W_dec + b_dec, or (z ⊘ ‖W_dec rows‖) W_dec + b_dec when rescaling; with the error bound from the codes' tolerances.</summary>
    private static (double[] Output, double[] Tolerance) Decode(Weights w, double[] z, double[] codeTolerance, bool rescale)
    {
        var norms = DecoderNorms(w);
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
                var weight = w.Decoder[(j * D) + i] / (rescale ? norms[j] : 1);
                sum += z[j] * weight;
                magnitude += Math.Abs(z[j] * weight);
                propagated += codeTolerance[j] * Math.Abs(weight);
            }

            output[i] = sum;
            tolerance[i] = ForwardComparison.SumTolerance(active, magnitude) + propagated;
        }

        return (output, tolerance);
    }

    private static double[] DecoderNorms(Weights w) =>
        Enumerable.Range(0, H).Select(j => Math.Sqrt(Enumerable.Range(0, D).Sum(i => (double)w.Decoder[(j * D) + i] * w.Decoder[(j * D) + i]))).ToArray();

    /// <summary>Checks Encode, Decode and Reconstruct of the loaded SAE against SAELens's formula on the raw weights.</summary>
    private static void AssertMatchesSaeLens(SparseAutoencoder sae, Weights w, int? k, bool applyDecoderBias = true, bool rescale = false)
    {
        var x = TestData.GaussianMatrix(Rows, D, 99, 1.5f);
        var codes = sae.Encode(x);
        var reconstruction = sae.Reconstruct(x);
        var ambiguous = 0;
        for (var r = 0; r < Rows; r++)
        {
            var reference = Encode(w, x.Row(r), k, applyDecoderBias, rescale);
            ForwardComparison.AssertCodes(codes, r, reference);
            if (reference.Ambiguous)
            {
                ambiguous++;
                continue;
            }

            var (expected, tolerance) = Decode(w, reference.Codes, reference.Tolerance, rescale);
            ForwardComparison.AssertClose(reconstruction.Row(r), expected, tolerance, $"reconstruction of row {r}");
        }

        ambiguous.Should().BeLessThanOrEqualTo(Rows / 32, "random data rarely puts two pre-activations within rounding of each other");

        // Decode of arbitrary codes follows SAELens's decode (with its division by decoder norms when rescaling).
        var someCodes = TestData.RandomCodes(16, H, Math.Min(H, 7), 5);
        var decoded = sae.Decode(someCodes);
        for (var r = 0; r < someCodes.Rows; r++)
        {
            var dense = new double[H];
            for (var a = 0; a < someCodes.Count(r); a++)
            {
                dense[someCodes.Indices(r)[a]] = someCodes.Values(r)[a];
            }

            var (expected, tolerance) = Decode(w, dense, new double[H], rescale);
            ForwardComparison.AssertClose(decoded.Row(r), expected, tolerance, $"decode of row {r}");
        }
    }

    [Fact]
    public void IsLayout_NeedsBothFiles()
    {
        var complete = WriteFolder(Config("standard"), RandomWeights(1), name: "complete");
        SaeLensLayout.IsLayout(complete).Should().BeTrue();
        SaeLensLayout.IsLayout(WriteFolder(Config("standard"), null, name: "config-only")).Should().BeFalse();
        SaeLensLayout.IsLayout(WriteFolder(null, RandomWeights(1), name: "weights-only")).Should().BeFalse();
        SaeLensLayout.IsLayout(_folder.File("absent")).Should().BeFalse();
        SparsifyLayout.IsLayout(complete).Should().BeFalse();
    }

    [Fact]
    public void Load_Standard_MatchesSaeLensForward()
    {
        var weights = RandomWeights(1);
        var sae = SaeLensLayout.Load(WriteFolder(Config("standard"), weights));
        sae.Activation.Should().BeOfType<ReLUActivation>();
        sae.InputDimension.Should().Be(D);
        sae.LatentCount.Should().Be(H);
        AssertMatchesSaeLens(sae, weights, null);
    }

    [Fact]
    public void Load_TopK_MatchesSaeLensForward()
    {
        var weights = RandomWeights(2);
        var sae = SaeLensLayout.Load(WriteFolder(Config("topk"), weights));
        sae.Activation.Should().BeOfType<TopKActivation>().Which.K.Should().Be(K);
        AssertMatchesSaeLens(sae, weights, K);
    }

    [Fact]
    public void Load_TopKRescaledByDecoderNorm_MatchesSaeLensForward()
    {
        var weights = RandomWeights(3);
        var config = Config("topk");
        config["rescale_acts_by_decoder_norm"] = true;
        var sae = SaeLensLayout.Load(WriteFolder(config, weights));
        AssertMatchesSaeLens(sae, weights, K, rescale: true);

        // The fold leaves unit decoder rows, as SAELens's fold_W_dec_norm does.
        for (var j = 0; j < H; j++)
        {
            Math.Sqrt(sae.DecoderWeights.Row(j).ToArray().Sum(v => (double)v * v)).Should().BeApproximately(1, 1e-6);
        }
    }

    [Theory]
    [InlineData("standard")]
    [InlineData("topk")]
    public void Load_WithoutDecoderBiasOnTheInput_MatchesSaeLensForward(string architecture)
    {
        var weights = RandomWeights(4);
        var config = Config(architecture);
        config["apply_b_dec_to_input"] = false;
        var sae = SaeLensLayout.Load(WriteFolder(config, weights));
        AssertMatchesSaeLens(sae, weights, architecture == "topk" ? K : null, applyDecoderBias: false);
    }

    [Fact]
    public void Load_RescaledAndWithoutDecoderBiasOnTheInput_MatchesSaeLensForward()
    {
        var weights = RandomWeights(5);
        var config = Config("topk");
        config["rescale_acts_by_decoder_norm"] = true;
        config["apply_b_dec_to_input"] = false;
        AssertMatchesSaeLens(SaeLensLayout.Load(WriteFolder(config, weights)), weights, K, applyDecoderBias: false, rescale: true);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Load_PreVersion6Config_ReadsActivationAsSaeLensDoes(bool topK)
    {
        var weights = RandomWeights(6);
        var sae = SaeLensLayout.Load(WriteFolder(LegacyConfig(topK), weights));
        if (topK)
        {
            sae.Activation.Should().BeOfType<TopKActivation>().Which.K.Should().Be(K);
        }
        else
        {
            sae.Activation.Should().BeOfType<ReLUActivation>();
        }

        AssertMatchesSaeLens(sae, weights, topK ? K : null);
    }

    [Fact]
    public void Load_BF16Tensors_AreConvertedExactly()
    {
        // The reference uses the values the file holds: each weight rounded to bfloat16.
        var weights = RandomWeights(7).Map(v => BitConverter.UInt32BitsToSingle((uint)SafeTensorsWriter.ToBFloat16(v) << 16));
        var config = Config("topk");
        config["dtype"] = "bfloat16";
        var sae = SaeLensLayout.Load(WriteFolder(config, weights, SafeTensorsDataType.BF16));
        sae.DecoderWeights.Span.ToArray().Should().Equal(weights.Decoder);
        AssertMatchesSaeLens(sae, weights, K);
    }

    [Fact]
    public void Load_F16Tensors_AreConvertedExactly()
    {
        var weights = RandomWeights(8).Map(v => (float)(Half)v);
        var sae = SaeLensLayout.Load(WriteFolder(Config("standard"), weights, SafeTensorsDataType.F16));
        sae.DecoderBias.Span.ToArray().Should().Equal(weights.DecoderBias);
        AssertMatchesSaeLens(sae, weights, null);
    }

    [Fact]
    public void Load_TakesTheEncoderTransposed()
    {
        var weights = RandomWeights(9);
        var sae = SaeLensLayout.Load(WriteFolder(Config("standard"), weights));
        for (var j = 0; j < H; j++)
        {
            for (var i = 0; i < D; i++)
            {
                sae.EncoderWeights[j, i].Should().Be(weights.EncoderT[(i * H) + j]);
                sae.DecoderWeights[j, i].Should().Be(weights.Decoder[(j * D) + i]);
            }
        }

        sae.EncoderBias.Span.ToArray().Should().Equal(weights.EncoderBias);
        sae.DecoderBias.Span.ToArray().Should().Equal(weights.DecoderBias);
    }

    [Fact]
    public void Load_AcceptsAnAllOnesScalingFactor()
    {
        var weights = RandomWeights(10);
        var directory = WriteFolder(LegacyConfig(topK: false), weights, extra: w => w.Add("scaling_factor", Enumerable.Repeat(1f, H).ToArray(), [H]));
        AssertMatchesSaeLens(SaeLensLayout.Load(directory), weights, null);
    }

    [Theory]
    [InlineData("topk")]
    [InlineData("standard")]
    public void SaveThenLoad_IsBitIdentical(string architecture)
    {
        var original = new SparseAutoencoder(D, H, architecture == "topk" ? new TopKActivation(K) : new ReLUActivation(), seed: 11);
        TestData.Gaussian(H * D, 12, 0.4f).CopyTo(original.EncoderWeights.Span);
        TestData.Gaussian(H, 13, 0.2f).CopyTo(original.EncoderBias.Span);
        TestData.Gaussian(D, 14, 0.5f).CopyTo(original.DecoderBias.Span);
        original.EncoderWeights.Span[3] = -0f;
        original.EncoderBias.Span[1] = float.Epsilon;

        var directory = _folder.Folder("saved");
        SaeLensLayout.Save(original, directory);
        var loaded = SaeLensLayout.Load(directory);

        Bits(loaded.EncoderWeights.Span).Should().Equal(Bits(original.EncoderWeights.Span));
        Bits(loaded.EncoderBias.Span).Should().Equal(Bits(original.EncoderBias.Span));
        Bits(loaded.DecoderWeights.Span).Should().Equal(Bits(original.DecoderWeights.Span));
        Bits(loaded.DecoderBias.Span).Should().Equal(Bits(original.DecoderBias.Span));
        loaded.Activation.Name.Should().Be(original.Activation.Name);
        var x = TestData.GaussianMatrix(8, D, 15);
        Bits(loaded.Reconstruct(x).Span).Should().Equal(Bits(original.Reconstruct(x).Span));
    }

    [Fact]
    public void LoadThenSave_ReproducesTheTensors()
    {
        var weights = RandomWeights(16);
        var loaded = SaeLensLayout.Load(WriteFolder(Config("topk"), weights));
        var directory = _folder.Folder("resaved");
        SaeLensLayout.Save(loaded, directory);
        using var file = SafeTensorsFile.Open(Path.Combine(directory, SaeLensLayout.WeightsFileName));
        Bits(file.ReadSingle("W_enc")).Should().Equal(Bits(weights.EncoderT));
        Bits(file.ReadSingle("W_dec")).Should().Equal(Bits(weights.Decoder));
        Bits(file.ReadSingle("b_enc")).Should().Equal(Bits(weights.EncoderBias));
        Bits(file.ReadSingle("b_dec")).Should().Equal(Bits(weights.DecoderBias));
    }

    [Theory]
    [InlineData("topk")]
    [InlineData("standard")]
    public void Save_WritesTheSaeLensLayout(string architecture)
    {
        var sae = new SparseAutoencoder(D, H, architecture == "topk" ? new TopKActivation(K) : new ReLUActivation(), seed: 17);
        TestData.Gaussian(H * D, 18).CopyTo(sae.EncoderWeights.Span);
        var directory = _folder.Folder("layout");
        SaeLensLayout.Save(sae, directory);

        Directory.GetFiles(directory).Select(Path.GetFileName).Should().BeEquivalentTo(SaeLensLayout.ConfigFileName, SaeLensLayout.WeightsFileName);
        SaeLensLayout.IsLayout(directory).Should().BeTrue();

        using (var file = SafeTensorsFile.Open(Path.Combine(directory, SaeLensLayout.WeightsFileName)))
        {
            file.Tensors.Select(t => (t.Name, t.DataType, string.Join("x", t.Shape))).Should().BeEquivalentTo(
            [
                ("W_enc", SafeTensorsDataType.F32, $"{D}x{H}"),
                ("W_dec", SafeTensorsDataType.F32, $"{H}x{D}"),
                ("b_enc", SafeTensorsDataType.F32, $"{H}"),
                ("b_dec", SafeTensorsDataType.F32, $"{D}"),
            ]);
            file.Metadata.Should().BeEmpty();
            var encoderT = file.ReadSingle("W_enc");
            for (var j = 0; j < H; j++)
            {
                for (var i = 0; i < D; i++)
                {
                    encoderT[(i * H) + j].Should().Be(sae.EncoderWeights[j, i]);
                }
            }
        }

        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, SaeLensLayout.ConfigFileName)));
        var root = config.RootElement;
        var expected = new Dictionary<string, string>
        {
            ["architecture"] = $"\"{architecture}\"",
            ["d_in"] = $"{D}",
            ["d_sae"] = $"{H}",
            ["dtype"] = "\"float32\"",
            ["device"] = "\"cpu\"",
            ["apply_b_dec_to_input"] = "true",
            ["normalize_activations"] = "\"none\"",
            ["reshape_activations"] = "\"none\"",
        };
        if (architecture == "topk")
        {
            expected["k"] = $"{K}";
            expected["rescale_acts_by_decoder_norm"] = "false";
        }

        var fields = root.EnumerateObject().Where(p => p.Name != "metadata").ToDictionary(p => p.Name, p => p.Value.GetRawText());
        fields.Should().BeEquivalentTo(expected);
        var metadata = root.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText());
        metadata.Should().BeEquivalentTo(new Dictionary<string, string> { ["sae_lens_version"] = "\"6.0.0\"", ["sae_lens_training_version"] = "null" });
    }

    [Fact]
    public void Save_RefusesAnActivationWithoutSaeLensArchitecture()
    {
        var sae = new SparseAutoencoder(D, H, new SoftplusTopKActivation(3), seed: 1);
        FluentActions.Invoking(() => SaeLensLayout.Save(sae, _folder.Folder("refused")))
            .Should().Throw<ArgumentException>().WithMessage("*SoftplusTopK*");
    }

    [Fact]
    public void Save_ReplacesAnExistingSae()
    {
        var directory = _folder.Folder("replace");
        SaeLensLayout.Save(new SparseAutoencoder(D, H, new ReLUActivation(), seed: 1), directory);
        var second = new SparseAutoencoder(D, H, new TopKActivation(K), seed: 2);
        SaeLensLayout.Save(second, directory);
        var loaded = SaeLensLayout.Load(directory);
        loaded.Activation.Should().BeOfType<TopKActivation>();
        loaded.DecoderWeights.Span.ToArray().Should().Equal(second.DecoderWeights.Span.ToArray());
        Directory.GetFiles(directory).Should().HaveCount(2, "no temporary file is left behind");
    }

    public static TheoryData<string, string> RefusedConfigs() => new()
    {
        // description (mutation applied below), expected fragment of the message
        { "architecture jumprelu", "architecture 'jumprelu' is not supported" },
        { "architecture gated", "architecture 'gated' is not supported" },
        { "architecture batchtopk", "architecture 'batchtopk' is not supported" },
        { "architecture transcoder", "architecture 'transcoder' is not supported" },
        { "architecture missing", "no 'architecture'" },
        { "architecture not a string", "'architecture' is 3; expected a string" },
        { "d_in missing", "no 'd_in'" },
        { "d_in mismatch", "'W_enc'" },
        { "d_sae mismatch", "'W_enc'" },
        { "d_in zero", "'d_in' is 0" },
        { "d_in fractional", "'d_in' is 24.0" },
        { "d_sae string", "'d_sae' is \"40\"" },
        { "k missing", "no 'k'" },
        { "k zero", "'k' is 0" },
        { "k above d_sae", "'k' is 41; expected an integer in [1, 40]" },
        { "normalize_activations layer_norm", "'normalize_activations' is \"layer_norm\"" },
        { "normalize_activations constant_norm_rescale", "'normalize_activations' is \"constant_norm_rescale\"" },
        { "normalize_activations expected_average_only_in", "not stored in the folder" },
        { "normalize_activations true (v6)", "'normalize_activations' is true; expected a string" },
        { "normalize_activations unknown", "'normalize_activations' is \"sometimes\"" },
        { "apply_b_dec_to_input not a bool", "'apply_b_dec_to_input' is 1; expected true or false" },
        { "rescale not a bool", "'rescale_acts_by_decoder_norm' is \"yes\"" },
        { "dtype unknown", "'dtype' is \"float8\"" },
        { "reshape unknown", "'reshape_activations' is \"hook_q\"" },
        { "version not a version", "sae_lens_version is 'latest'" },
        { "metadata not an object", "'metadata' is [1]; expected an object" },
        { "legacy tanh-relu", "'activation_fn_str' is \"tanh-relu\"" },
        { "legacy topk without k", "needs activation_fn_kwargs.k" },
        { "legacy normalize true", "not stored in the folder" },
        { "legacy jumprelu", "architecture 'jumprelu' is not supported" },
    };

    [Theory]
    [MemberData(nameof(RefusedConfigs))]
    public void Load_RefusesConfig(string description, string fragment)
    {
        var config = description.StartsWith("legacy", StringComparison.Ordinal) ? LegacyConfig(topK: true) : Config("topk");
        switch (description)
        {
            case "architecture jumprelu": config["architecture"] = "jumprelu"; break;
            case "architecture gated": config["architecture"] = "gated"; break;
            case "architecture batchtopk": config["architecture"] = "batchtopk"; break;
            case "architecture transcoder": config["architecture"] = "transcoder"; break;
            case "architecture missing": config.Remove("architecture"); break;
            case "architecture not a string": config["architecture"] = 3; break;
            case "d_in missing": config.Remove("d_in"); break;
            case "d_in mismatch": config["d_in"] = D + 1; break;
            case "d_sae mismatch": config["d_sae"] = H - 1; config["k"] = 2; break;
            case "d_in zero": config["d_in"] = 0; break;
            case "d_in fractional": config["d_in"] = JsonDocument.Parse("24.0").RootElement; break;
            case "d_sae string": config["d_sae"] = "40"; break;
            case "k missing": config.Remove("k"); break;
            case "k zero": config["k"] = 0; break;
            case "k above d_sae": config["k"] = H + 1; break;
            case "normalize_activations layer_norm": config["normalize_activations"] = "layer_norm"; break;
            case "normalize_activations constant_norm_rescale": config["normalize_activations"] = "constant_norm_rescale"; break;
            case "normalize_activations expected_average_only_in": config["normalize_activations"] = "expected_average_only_in"; break;
            case "normalize_activations true (v6)": config["normalize_activations"] = true; break;
            case "normalize_activations unknown": config["normalize_activations"] = "sometimes"; break;
            case "apply_b_dec_to_input not a bool": config["apply_b_dec_to_input"] = 1; break;
            case "rescale not a bool": config["rescale_acts_by_decoder_norm"] = "yes"; break;
            case "dtype unknown": config["dtype"] = "float8"; break;
            case "reshape unknown": config["reshape_activations"] = "hook_q"; break;
            case "version not a version": ((Dictionary<string, object?>)config["metadata"]!)["sae_lens_version"] = "latest"; break;
            case "metadata not an object": config["metadata"] = new[] { 1 }; break;
            case "legacy tanh-relu": config["activation_fn_str"] = "tanh-relu"; config["activation_fn_kwargs"] = new Dictionary<string, object?>(); break;
            case "legacy topk without k": config["activation_fn_kwargs"] = new Dictionary<string, object?>(); break;
            case "legacy normalize true": config["normalize_activations"] = true; break;
            case "legacy jumprelu": config["architecture"] = "jumprelu"; config["activation_fn_str"] = "relu"; break;
            default: throw new ArgumentException(description);
        }

        var directory = WriteFolder(config, RandomWeights(20));
        FluentActions.Invoking(() => SaeLensLayout.Load(directory)).Should().Throw<InvalidDataException>(description)
            .Which.Message.Should().Contain(directory).And.Contain(fragment);
    }

    public static TheoryData<string, string> RefusedFiles() => new()
    {
        { "no config", "cfg.json does not exist" },
        { "no weights", "sae_weights.safetensors does not exist" },
        { "config not JSON", "is not valid JSON" },
        { "config an array", "holds a JSON Array" },
        { "config repeats a key", "names 'd_in' twice" },
        { "config not UTF-8", "not valid UTF-8" },
        { "weights not safetensors", "8-byte header length" },
        { "W_enc missing", "has no tensor 'W_enc' (expected shape [24, 40])" },
        { "b_dec missing", "has no tensor 'b_dec'" },
        { "W_enc not transposed", "(the transpose of the expected shape)" },
        { "b_enc wrong length", "Tensor 'b_enc'" },
        { "W_dec integer", "is I32; expected a floating-point type" },
        { "threshold tensor", "'threshold'" },
        { "scaling factor not ones", "'scaling_factor'" },
    };

    [Theory]
    [MemberData(nameof(RefusedFiles))]
    public void Load_RefusesMalformedFiles(string description, string fragment)
    {
        var weights = RandomWeights(21);
        var directory = _folder.Folder("files");
        var config = Path.Combine(directory, SaeLensLayout.ConfigFileName);
        var tensors = Path.Combine(directory, SaeLensLayout.WeightsFileName);
        File.WriteAllText(config, JsonSerializer.Serialize(Config("topk")));
        var writer = new SafeTensorsWriter();
        void Standard(params string[] except)
        {
            if (!except.Contains("W_enc"))
            {
                writer.Add("W_enc", weights.EncoderT, [D, H]);
            }

            if (!except.Contains("W_dec"))
            {
                writer.Add("W_dec", weights.Decoder, [H, D]);
            }

            if (!except.Contains("b_enc"))
            {
                writer.Add("b_enc", weights.EncoderBias, [H]);
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
            case "config not JSON": Standard(); File.WriteAllText(config, "{\"d_in\": 24,"); break;
            case "config an array": Standard(); File.WriteAllText(config, "[1, 2]"); break;
            case "config repeats a key": Standard(); File.WriteAllText(config, "{\"architecture\":\"topk\",\"d_in\":24,\"d_in\":25}"); break;
            case "config not UTF-8": Standard(); File.WriteAllBytes(config, [(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}']); break;
            case "weights not safetensors": File.WriteAllBytes(tensors, [1, 2, 3]); break;
            case "W_enc missing": Standard("W_enc"); break;
            case "b_dec missing": Standard("b_dec"); break;
            case "W_enc not transposed": Standard("W_enc"); writer.Add("W_enc", weights.EncoderT, [H, D]); break;
            case "b_enc wrong length": Standard("b_enc"); writer.Add("b_enc", weights.EncoderBias[..^1], [H - 1]); break;
            case "W_dec integer": Standard("W_dec"); writer.Add("W_dec", new int[H * D], [H, D]); break;
            case "threshold tensor": Standard(); writer.Add("threshold", weights.EncoderBias, [H]); break;
            case "scaling factor not ones":
                Standard();
                var scaling = Enumerable.Repeat(1f, H).ToArray();
                scaling[7] = 1.5f;
                writer.Add("scaling_factor", scaling, [H]);
                break;
            default: throw new ArgumentException(description);
        }

        if (description is not ("no weights" or "weights not safetensors"))
        {
            writer.Save(tensors);
        }

        FluentActions.Invoking(() => SaeLensLayout.Load(directory)).Should().Throw<InvalidDataException>(description)
            .Which.Message.Should().Contain(directory).And.Contain(fragment);
    }

    [Fact]
    public void Load_MissingFolder_Throws()
    {
        FluentActions.Invoking(() => SaeLensLayout.Load(_folder.File("absent"))).Should().Throw<DirectoryNotFoundException>().WithMessage("*absent*");
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
