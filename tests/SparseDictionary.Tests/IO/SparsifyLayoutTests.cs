using System.Text.Json;
using SparseDictionary.IO;
using SparseDictionary.Tests.Support;
using static SparseDictionary.Tests.IO.SparsifyTestFiles;

namespace SparseDictionary.Tests.IO;

/// <summary>sparsify folders: the forward pass against sparsify's formulas, conversions, and the files Save writes.</summary>
public sealed class SparsifyLayoutTests : IDisposable
{
    private const int Rows = 64;

    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

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
        var complete = WriteFolder(_folder, Config(), RandomWeights(1), name: "complete");
        SparsifyLayout.IsLayout(complete).Should().BeTrue();
        SparsifyLayout.IsLayout(WriteFolder(_folder, Config(), null, name: "config-only")).Should().BeFalse();
        SparsifyLayout.IsLayout(WriteFolder(_folder, null, RandomWeights(1), name: "weights-only")).Should().BeFalse();
        SparsifyLayout.IsLayout(_folder.File("absent")).Should().BeFalse();
        SaeLensLayout.IsLayout(complete).Should().BeFalse();
    }

    [Fact]
    public void Load_MatchesSparsifyForward()
    {
        var weights = RandomWeights(1);
        var sae = SparsifyLayout.Load(WriteFolder(_folder, Config(), weights));
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
        var sae = SparsifyLayout.Load(WriteFolder(_folder, Config(), weights));
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
        var directory = WriteFolder(_folder, config, weights, name: "wrong-factor");
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
        var sae = SparsifyLayout.Load(WriteFolder(_folder, Config(), weights, SafeTensorsDataType.BF16));
        sae.EncoderWeights.Span.ToArray().Should().Equal(weights.Encoder);
        AssertMatchesSparsify(sae, weights);
    }

    [Fact]
    public void Load_F16Tensors_AreConvertedExactly()
    {
        var weights = RandomWeights(10).Map(v => (float)(Half)v);
        var sae = SparsifyLayout.Load(WriteFolder(_folder, Config(), weights, SafeTensorsDataType.F16));
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
        AssertMatchesSparsify(SparsifyLayout.Load(WriteFolder(_folder, config, weights)), weights);
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

        WeightBits.Of(loaded.EncoderWeights.Span).Should().Equal(WeightBits.Of(original.EncoderWeights.Span));
        WeightBits.Of(loaded.EncoderBias.Span).Should().Equal(WeightBits.Of(original.EncoderBias.Span));
        WeightBits.Of(loaded.DecoderWeights.Span).Should().Equal(WeightBits.Of(original.DecoderWeights.Span));
        WeightBits.Of(loaded.DecoderBias.Span).Should().Equal(WeightBits.Of(original.DecoderBias.Span));
        loaded.Activation.Should().BeOfType<TopKActivation>().Which.K.Should().Be(K);
        var x = TestData.GaussianMatrix(8, D, 16);
        WeightBits.Of(loaded.Reconstruct(x).Span).Should().Equal(WeightBits.Of(original.Reconstruct(x).Span));
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

    private static JsonElement ReadConfig(string directory)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, SparsifyLayout.ConfigFileName)));
        return document.RootElement.Clone();
    }
}
