using System.Text.Json;
using SparseDictionary.IO;
using SparseDictionary.Tests.Support;
using static SparseDictionary.Tests.IO.SaeLensTestFiles;

namespace SparseDictionary.Tests.IO;

public sealed class SaeLensLayoutTests : IDisposable
{
    private const int Rows = 64;

    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

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
        var complete = WriteFolder(_folder, Config("standard"), RandomWeights(1), name: "complete");
        SaeLensLayout.IsLayout(complete).Should().BeTrue();
        SaeLensLayout.IsLayout(WriteFolder(_folder, Config("standard"), null, name: "config-only")).Should().BeFalse();
        SaeLensLayout.IsLayout(WriteFolder(_folder, null, RandomWeights(1), name: "weights-only")).Should().BeFalse();
        SaeLensLayout.IsLayout(_folder.File("absent")).Should().BeFalse();
        SparsifyLayout.IsLayout(complete).Should().BeFalse();
    }

    [Fact]
    public void Load_Standard_MatchesSaeLensForward()
    {
        var weights = RandomWeights(1);
        var sae = SaeLensLayout.Load(WriteFolder(_folder, Config("standard"), weights));
        sae.Activation.Should().BeOfType<ReLUActivation>();
        sae.InputDimension.Should().Be(D);
        sae.LatentCount.Should().Be(H);
        AssertMatchesSaeLens(sae, weights, null);
    }

    [Fact]
    public void Load_TopK_MatchesSaeLensForward()
    {
        var weights = RandomWeights(2);
        var sae = SaeLensLayout.Load(WriteFolder(_folder, Config("topk"), weights));
        sae.Activation.Should().BeOfType<TopKActivation>().Which.K.Should().Be(K);
        AssertMatchesSaeLens(sae, weights, K);
    }

    [Fact]
    public void Load_TopKRescaledByDecoderNorm_MatchesSaeLensForward()
    {
        var weights = RandomWeights(3);
        var config = Config("topk");
        config["rescale_acts_by_decoder_norm"] = true;
        var sae = SaeLensLayout.Load(WriteFolder(_folder, config, weights));
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
        var sae = SaeLensLayout.Load(WriteFolder(_folder, config, weights));
        AssertMatchesSaeLens(sae, weights, architecture == "topk" ? K : null, applyDecoderBias: false);
    }

    [Fact]
    public void Load_RescaledAndWithoutDecoderBiasOnTheInput_MatchesSaeLensForward()
    {
        var weights = RandomWeights(5);
        var config = Config("topk");
        config["rescale_acts_by_decoder_norm"] = true;
        config["apply_b_dec_to_input"] = false;
        AssertMatchesSaeLens(SaeLensLayout.Load(WriteFolder(_folder, config, weights)), weights, K, applyDecoderBias: false, rescale: true);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Load_PreVersion6Config_ReadsActivationAsSaeLensDoes(bool topK)
    {
        var weights = RandomWeights(6);
        var sae = SaeLensLayout.Load(WriteFolder(_folder, LegacyConfig(topK), weights));
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
        var sae = SaeLensLayout.Load(WriteFolder(_folder, config, weights, SafeTensorsDataType.BF16));
        sae.DecoderWeights.Span.ToArray().Should().Equal(weights.Decoder);
        AssertMatchesSaeLens(sae, weights, K);
    }

    [Fact]
    public void Load_F16Tensors_AreConvertedExactly()
    {
        var weights = RandomWeights(8).Map(v => (float)(Half)v);
        var sae = SaeLensLayout.Load(WriteFolder(_folder, Config("standard"), weights, SafeTensorsDataType.F16));
        sae.DecoderBias.Span.ToArray().Should().Equal(weights.DecoderBias);
        AssertMatchesSaeLens(sae, weights, null);
    }

    [Fact]
    public void Load_TakesTheEncoderTransposed()
    {
        var weights = RandomWeights(9);
        var sae = SaeLensLayout.Load(WriteFolder(_folder, Config("standard"), weights));
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
        var directory = WriteFolder(_folder, LegacyConfig(topK: false), weights, extra: w => w.Add("scaling_factor", Enumerable.Repeat(1f, H).ToArray(), [H]));
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

        WeightBits.Of(loaded.EncoderWeights.Span).Should().Equal(WeightBits.Of(original.EncoderWeights.Span));
        WeightBits.Of(loaded.EncoderBias.Span).Should().Equal(WeightBits.Of(original.EncoderBias.Span));
        WeightBits.Of(loaded.DecoderWeights.Span).Should().Equal(WeightBits.Of(original.DecoderWeights.Span));
        WeightBits.Of(loaded.DecoderBias.Span).Should().Equal(WeightBits.Of(original.DecoderBias.Span));
        loaded.Activation.Name.Should().Be(original.Activation.Name);
        var x = TestData.GaussianMatrix(8, D, 15);
        WeightBits.Of(loaded.Reconstruct(x).Span).Should().Equal(WeightBits.Of(original.Reconstruct(x).Span));
    }

    [Fact]
    public void LoadThenSave_ReproducesTheTensors()
    {
        var weights = RandomWeights(16);
        var loaded = SaeLensLayout.Load(WriteFolder(_folder, Config("topk"), weights));
        var directory = _folder.Folder("resaved");
        SaeLensLayout.Save(loaded, directory);
        using var file = SafeTensorsFile.Open(Path.Combine(directory, SaeLensLayout.WeightsFileName));
        WeightBits.Of(file.ReadSingle("W_enc")).Should().Equal(WeightBits.Of(weights.EncoderT));
        WeightBits.Of(file.ReadSingle("W_dec")).Should().Equal(WeightBits.Of(weights.Decoder));
        WeightBits.Of(file.ReadSingle("b_enc")).Should().Equal(WeightBits.Of(weights.EncoderBias));
        WeightBits.Of(file.ReadSingle("b_dec")).Should().Equal(WeightBits.Of(weights.DecoderBias));
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
}
