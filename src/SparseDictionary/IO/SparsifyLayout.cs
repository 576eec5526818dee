
namespace SparseDictionary.IO;

/// <summary>
/// The sparsify folder layout (EleutherAI/sparsify, and its predecessor EleutherAI/sae): <c>cfg.json</c> and
/// <c>sae.safetensors</c>, as written by <c>SparseCoder.save_to_disk</c> and read by <c>SparseCoder.load_from_disk</c>.
/// </summary>
/// <remarks>
/// <para>Tensors (the PyTorch state dict of the module): <c>encoder.weight</c> [num_latents, d_in] and
/// <c>encoder.bias</c> [num_latents] (an <c>nn.Linear</c>), <c>W_dec</c> [num_latents, d_in], <c>b_dec</c> [d_in]. The
/// weight matrices have the library's own layout (one row per latent), so nothing is transposed.</para>
/// <para>Forward pass of a sparsify autoencoder (transcode = false), for an input row x:
/// pre = ReLU(encoder.weight (x - b_dec) + encoder.bias); the k largest entries of pre are kept (ties in any order);
/// x̂ = W_decᵀ z + b_dec. This is the library's formula with its TopK activation (top k, then ReLU of the survivors):
/// ReLU first, then top k keeps the same positive entries, and the zeros either may add have no effect on x̂. So the
/// weights are taken as they are, with no fold.</para>
/// <para>Config: <c>d_in</c> and <c>k</c> are required; <c>num_latents</c> (or, when it is 0 or absent,
/// d_in x <c>expansion_factor</c>) must match the tensors. Refused with <see cref="InvalidDataException"/>:
/// <c>activation</c> other than "topk" (groupmax), <c>transcode</c>, <c>skip_connection</c> (a W_skip term) and the
/// older <c>signed</c> top-k, which change the forward pass, and any missing or malformed field or tensor. Unknown
/// fields are ignored, as sparsify's loader ignores them. docs/formats.md lists every field.</para>
/// </remarks>
internal static class SparsifyLayout
{
    /// <summary>The config file's name.</summary>
    public const string ConfigFileName = "cfg.json";

    /// <summary>The weights file's name.</summary>
    public const string WeightsFileName = "sae.safetensors";

    /// <summary>The decoder-row norm tolerance under which a saved SAE is declared normalize_decoder = true.</summary>
    internal const double UnitNormTolerance = 1e-4;

    private static readonly string[] TensorNames = ["encoder.weight", "encoder.bias", "W_dec", "b_dec"];

    /// <summary>Whether <paramref name="directory"/> holds a sparsify SAE: both <c>cfg.json</c> and <c>sae.safetensors</c>.</summary>
    /// <param name="directory">A folder.</param>
    /// <returns>True when both files exist.</returns>
    public static bool IsLayout(string directory) => LayoutFolder.Holds(directory, ConfigFileName, WeightsFileName);

    /// <summary>Loads the sparsify SAE in <paramref name="directory"/> (see the remarks for the formula it keeps).</summary>
    /// <param name="directory">A sparsify folder.</param>
    /// <returns>A new SAE with <see cref="TopKActivation"/>.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is missing or malformed, or the SAE uses something this library does not
    /// implement; the message names the file and the problem.</exception>
    public static SparseAutoencoder Load(string directory)
    {
        var (configPath, weightsPath) = LayoutFolder.Open(directory, "sparsify", ConfigFileName, WeightsFileName);

        var (d, h, k) = ReadSettings(LayoutConfig.Read(configPath));
        LayoutFolder.RequireFile(weightsPath, "sparsify", ConfigFileName, WeightsFileName);

        using var file = LayoutTensors.Open(weightsPath);
        LayoutTensors.CheckNames(file, TensorNames, name => name == "W_skip"
            ? $"a skip connection, which {configPath} does not declare and this library does not implement."
            : "sparsify's loader accepts no other tensor.");

        var encoderWeights = LayoutTensors.Read(file, "encoder.weight", h, d).Span;
        var encoderBias = LayoutTensors.Read(file, "encoder.bias", h).Span;
        var decoderWeights = LayoutTensors.Read(file, "W_dec", h, d).Span;
        var decoderBias = LayoutTensors.Read(file, "b_dec", d).Span;
        return SparseAutoencoder.FromWeights(new TopKActivation(k), d, h, encoderWeights, encoderBias, decoderWeights, decoderBias);
    }

    /// <summary>
    /// Writes <paramref name="sae"/> to <paramref name="directory"/> in the sparsify layout: F32 tensors and a config with
    /// every <c>SparseCoderConfig</c> field sparsify's loader reads, plus d_in.
    /// </summary>
    /// <param name="sae">A TopK SAE.</param>
    /// <param name="directory">The target folder; created when missing. Existing files of the same names are replaced.</param>
    /// <remarks>
    /// <para><c>num_latents</c> holds the latent count (so <c>expansion_factor</c>, written as latents / d_in rounded down and
    /// at least 1, is informative only). <c>normalize_decoder</c> is true when every decoder row has unit norm within
    /// 1e-4 (zero rows count as normalised), as this library's training keeps them; false otherwise, so that sparsify
    /// does not renormalise a decoder that was not trained that way.</para>
    /// <para>Each file is written atomically, the weights first, then the config; a reader that looks between the two
    /// renames may see the new weights with the old config.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">The SAE's activation is not TopK (sparsify stores TopK SAEs only).</exception>
    /// <exception cref="IOException">A file cannot be written; the message names it.</exception>
    public static void Save(SparseAutoencoder sae, string directory)
    {
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (sae.Activation is not TopKActivation topK)
        {
            throw new ArgumentException($"The SAE's activation is {sae.Activation.Name}; the sparsify layout stores TopK SAEs only.", nameof(sae));
        }

        var (d, h) = (sae.InputDimension, sae.LatentCount);
        var weightsPath = Path.Combine(directory, WeightsFileName);
        new SafeTensorsWriter()
            .Add("encoder.weight", sae.EncoderWeights.Span, [h, d])
            .Add("encoder.bias", sae.EncoderBias.Span, [h])
            .Add("W_dec", sae.DecoderWeights.Span, [h, d])
            .Add("b_dec", sae.DecoderBias.Span, [d])
            .Save(weightsPath);

        var normalized = DecoderRowsAreUnitNorm(sae.DecoderWeights.Span, d);
        var configPath = Path.Combine(directory, ConfigFileName);
        try
        {
            LayoutConfig.Write(configPath, json =>
            {
                json.WriteString("activation", "topk");
                json.WriteNumber("expansion_factor", Math.Max(1, h / d));
                json.WriteBoolean("normalize_decoder", normalized);
                json.WriteNumber("num_latents", h);
                json.WriteNumber("k", topK.K);
                json.WriteBoolean("multi_topk", false);
                json.WriteBoolean("skip_connection", false);
                json.WriteBoolean("transcode", false);
                json.WriteNumber("d_in", d);
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write {configPath}: {e.Message}", e);
        }
    }

    private static (int InputDimension, int LatentCount, int K) ReadSettings(LayoutConfig config)
    {
        var d = config.Int("d_in", 1, int.MaxValue);
        var k = config.Int("k", 1, int.MaxValue);

        var activation = config.OptionalString("activation") ?? "topk";
        if (activation != "topk")
        {
            throw config.Unsupported("activation", activation == "groupmax"
                ? "group-max selection (the largest entry of each of k groups) is not implemented by this library; only 'topk' is."
                : "sparsify knows 'topk' and 'groupmax'; this library loads 'topk'.");
        }

        Refuse(config, "transcode", "a transcoder predicts another layer's output and does not subtract b_dec from its input; this library loads autoencoders only.");
        Refuse(config, "skip_connection", "the W_skip term added to the reconstruction is not part of this library's SAE.");
        Refuse(config, "signed", "the signed top-k (largest magnitudes, no ReLU) is not implemented by this library.");
        // Training flags (decoder renormalisation after each step, the Multi-TopK loss): checked for type only, as
        // neither changes the forward pass of a trained SAE.
        _ = config.OptionalBool("normalize_decoder");
        _ = config.OptionalBool("multi_topk");

        var numLatents = config.OptionalInt("num_latents", 0, int.MaxValue) ?? 0;
        long h = numLatents;
        if (numLatents == 0)
        {
            var expansion = config.OptionalInt("expansion_factor", 1, int.MaxValue) ?? 32;
            h = (long)d * expansion;
            if (h > int.MaxValue)
            {
                throw new InvalidDataException($"{config.Path}: d_in = {d} x expansion_factor = {expansion} latents is more than {int.MaxValue}.");
            }
        }

        if (d * h > Array.MaxLength)
        {
            throw new InvalidDataException($"{config.Path}: d_in = {d} x {h} latents weights exceed one buffer ({Array.MaxLength} elements).");
        }

        if (k > h)
        {
            throw new InvalidDataException($"{config.Path}: k = {k} but the SAE has {h} latents; top-k needs k <= latents.");
        }

        return (d, (int)h, k);
    }

    private static void Refuse(LayoutConfig config, string field, string why)
    {
        if (config.OptionalBool(field) == true)
        {
            throw config.Unsupported(field, why);
        }
    }

    private static bool DecoderRowsAreUnitNorm(ReadOnlySpan<float> decoder, int d)
    {
        for (var row = 0; row < decoder.Length; row += d)
        {
            var sum = 0.0;
            foreach (var value in decoder.Slice(row, d))
            {
                sum += (double)value * value;
            }

            if (sum != 0 && !(Math.Abs(Math.Sqrt(sum) - 1) <= UnitNormTolerance))
            {
                return false;
            }
        }

        return true;
    }
}
