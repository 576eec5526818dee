using System.Globalization;
using System.Text.Json;

namespace SparseDictionary.IO;

/// <summary>
/// The SAELens folder layout (decoderesearch/SAELens, formerly jbloomAus/SAELens): <c>cfg.json</c> and
/// <c>sae_weights.safetensors</c>, as written by SAELens's <c>SAE.save_model</c> and read by <c>SAE.load_from_disk</c>.
/// </summary>
/// <remarks>
/// <para>Tensors: <c>W_enc</c> [d_in, d_sae], <c>W_dec</c> [d_sae, d_in], <c>b_enc</c> [d_sae], <c>b_dec</c> [d_in].
/// SAELens multiplies row vectors from the left, so its <c>W_enc</c> is the transpose of
/// <see cref="SparseAutoencoder.EncoderWeights"/> (latents x d rows); its <c>W_dec</c> has the same layout as
/// <see cref="SparseAutoencoder.DecoderWeights"/>.</para>
/// <para>Forward pass of the two architectures loaded, for an input row x:
/// pre = (x - a b_dec) W_enc + b_enc, with a = 1 when <c>apply_b_dec_to_input</c> is true (the default) and 0 otherwise;
/// "standard": z = ReLU(pre); "topk": z = ReLU(TopK_k(pre)), or with <c>rescale_acts_by_decoder_norm</c>
/// z = ReLU(TopK_k(pre ⊙ n)) with n_i = max(‖W_dec row i‖, 1e-8); decoding is x̂ = z W_dec + b_dec, or
/// x̂ = (z ⊘ n) W_dec + b_dec when rescaling. The library computes z = σ(W'(x - b_dec) + b'), x̂ = W_dec'ᵀ z + b_dec,
/// so a loaded model takes W' = W_encᵀ and b' = b_enc, with two folds that are exact in real arithmetic (float32 results
/// then differ from SAELens's by rounding only):
/// rescaling multiplies encoder row i and b_enc[i] by n_i and divides decoder row i by n_i (as SAELens's own
/// <c>fold_W_dec_norm</c> does); <c>apply_b_dec_to_input</c> = false adds W' b_dec to b' (computed in double, rounded once).</para>
/// <para>Refused with <see cref="InvalidDataException"/>: other architectures (jumprelu, gated, batchtopk, transcoders,
/// ...), <c>normalize_activations</c> other than "none" (input rescaling that is not part of the weights), a
/// <c>scaling_factor</c> tensor that is not all ones, and any field or tensor that is missing or malformed. docs/formats.md
/// lists every config field and what happens to it.</para>
/// <para>Configs older than SAELens 6 (no <c>sae_lens_version</c> of 6 or later at the top level or in <c>metadata</c>)
/// are read as SAELens reads them: <c>activation_fn_str</c> (or <c>activation_fn</c>) "topk" with
/// <c>activation_fn_kwargs.k</c> means architecture "topk" with that k, and a boolean <c>normalize_activations</c>
/// false means "none".</para>
/// </remarks>
internal static class SaeLensLayout
{
    /// <summary>The config file's name.</summary>
    public const string ConfigFileName = "cfg.json";

    /// <summary>The weights file's name.</summary>
    public const string WeightsFileName = "sae_weights.safetensors";

    /// <summary>The SAELens version written into saved configs: the major version whose config format they follow.</summary>
    public const string FormatVersion = "6.0.0";

    private static readonly string[] TensorNames = ["W_enc", "W_dec", "b_enc", "b_dec", "scaling_factor"];

    /// <summary>The dtype names SAELens's loader accepts (its DTYPE_MAP).</summary>
    private static readonly string[] DataTypeNames =
        ["float32", "float64", "float16", "bfloat16", "torch.float32", "torch.float64", "torch.float16", "torch.bfloat16"];

    /// <summary>Whether <paramref name="directory"/> holds a SAELens SAE: both <c>cfg.json</c> and <c>sae_weights.safetensors</c>.</summary>
    /// <param name="directory">A folder.</param>
    /// <returns>True when both files exist.</returns>
    public static bool IsLayout(string directory) => LayoutFolder.Holds(directory, ConfigFileName, WeightsFileName);

    /// <summary>Loads the SAE in <paramref name="directory"/> so that it encodes and decodes as SAELens does (see the remarks).</summary>
    /// <param name="directory">A SAELens folder.</param>
    /// <returns>A new SAE with ReLU ("standard") or TopK ("topk") activation.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is missing or malformed, or the SAE uses something this library does not
    /// implement; the message names the file and the problem.</exception>
    public static SparseAutoencoder Load(string directory)
    {
        var (configPath, weightsPath) = LayoutFolder.Open(directory, "SAELens", ConfigFileName, WeightsFileName);

        var settings = ReadSettings(LayoutConfig.Read(configPath));
        LayoutFolder.RequireFile(weightsPath, "SAELens", ConfigFileName, WeightsFileName);

        var (d, h) = (settings.InputDimension, settings.LatentCount);
        using var file = LayoutTensors.Open(weightsPath);
        LayoutTensors.CheckNames(file, TensorNames, _ => $"SAELens's loader accepts no other tensor for architecture '{settings.Architecture}'.");
        CheckScalingFactor(file, h);

        var encoderWeights = LayoutTensors.Transpose(LayoutTensors.Read(file, "W_enc", d, h));
        var encoderBias = LayoutTensors.Read(file, "b_enc", h).Span.ToArray();
        var decoderBias = LayoutTensors.Read(file, "b_dec", d).Span;
        IActivation activation = settings.K is { } k ? new TopKActivation(k) : new ReLUActivation();

        // F32 tensors are views of the mapped file: copied only when a fold changes them (FromWeights copies anyway).
        var decoderView = LayoutTensors.Read(file, "W_dec", h, d).Span;
        float[]? decoderWeights = null;
        if (settings.RescaleByDecoderNorm)
        {
            decoderWeights = decoderView.ToArray();
            FoldDecoderNorms(encoderWeights, encoderBias, decoderWeights, d);
        }

        if (!settings.ApplyDecoderBiasToInput)
        {
            FoldDecoderBiasIntoEncoderBias(encoderWeights, encoderBias, decoderBias);
        }

        return decoderWeights is null
            ? SparseAutoencoder.FromWeights(activation, d, h, encoderWeights, encoderBias, decoderView, decoderBias)
            : SparseAutoencoder.FromWeights(activation, d, h, encoderWeights, encoderBias, decoderWeights, decoderBias);
    }

    /// <summary>
    /// Writes <paramref name="sae"/> to <paramref name="directory"/> in the SAELens 6 layout: F32 tensors and a config with
    /// the fields SAELens's <c>load_from_disk</c> reads (architecture, d_in, d_sae, dtype, device,
    /// apply_b_dec_to_input, normalize_activations, reshape_activations, metadata.sae_lens_version, and k with
    /// rescale_acts_by_decoder_norm for "topk").
    /// </summary>
    /// <param name="sae">A ReLU ("standard") or TopK ("topk") SAE.</param>
    /// <param name="directory">The target folder; created when missing. Existing files of the same names are replaced.</param>
    /// <remarks>Each file is written atomically, the weights first, then the config; a reader that looks between the two
    /// renames may see the new weights with the old config.</remarks>
    /// <exception cref="ArgumentException">The SAE's activation has no SAELens architecture.</exception>
    /// <exception cref="IOException">A file cannot be written; the message names it.</exception>
    public static void Save(SparseAutoencoder sae, string directory)
    {
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var (architecture, k) = sae.Activation switch
        {
            TopKActivation topK => ("topk", (int?)topK.K),
            ReLUActivation => ("standard", null),
            _ => throw new ArgumentException(
                $"The SAE's activation is {sae.Activation.Name}; the SAELens layout stores ReLU ('standard') and TopK ('topk') SAEs.", nameof(sae)),
        };

        var (d, h) = (sae.InputDimension, sae.LatentCount);
        var weightsPath = Path.Combine(directory, WeightsFileName);
        new SafeTensorsWriter()
            .Add("W_enc", LayoutTensors.Transpose(sae.EncoderWeights), [d, h])
            .Add("W_dec", sae.DecoderWeights.Span, [h, d])
            .Add("b_enc", sae.EncoderBias.Span, [h])
            .Add("b_dec", sae.DecoderBias.Span, [d])
            .Save(weightsPath);

        var configPath = Path.Combine(directory, ConfigFileName);
        try
        {
            LayoutConfig.Write(configPath, json =>
            {
                json.WriteString("architecture", architecture);
                json.WriteNumber("d_in", d);
                json.WriteNumber("d_sae", h);
                json.WriteString("dtype", "float32");
                json.WriteString("device", "cpu");
                json.WriteBoolean("apply_b_dec_to_input", true);
                json.WriteString("normalize_activations", "none");
                json.WriteString("reshape_activations", "none");
                if (k is { } kValue)
                {
                    json.WriteNumber("k", kValue);
                    json.WriteBoolean("rescale_acts_by_decoder_norm", false);
                }

                json.WriteStartObject("metadata");
                json.WriteString("sae_lens_version", FormatVersion);
                json.WriteNull("sae_lens_training_version");
                json.WriteEndObject();
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write {configPath}: {e.Message}", e);
        }
    }

    /// <summary>What the config says about the forward pass, checked.</summary>
    private sealed record Settings(string Architecture, int InputDimension, int LatentCount, int? K, bool ApplyDecoderBiasToInput, bool RescaleByDecoderNorm);

    private static Settings ReadSettings(LayoutConfig config)
    {
        var metadata = config.OptionalObject("metadata");
        var version = config.OptionalString("sae_lens_version") ?? metadata?.OptionalString("sae_lens_version");
        var modern = version is not null && MajorVersion(config, version) >= 6;

        var d = config.Int("d_in", 1, int.MaxValue);
        var h = config.Int("d_sae", 1, int.MaxValue);
        if ((long)d * h > Array.MaxLength)
        {
            throw new InvalidDataException($"{config.Path}: d_in = {d} x d_sae = {h} weights exceed one buffer ({Array.MaxLength} elements).");
        }

        string architecture;
        int? k = null;
        if (modern)
        {
            architecture = config.String("architecture");
            if (architecture == "topk")
            {
                k = config.Int("k", 1, h);
            }
        }
        else
        {
            // SAELens's handling of configs written before version 6.
            architecture = config.OptionalString("architecture") ?? "standard";
            var activationField = config.Has("activation_fn_str") ? "activation_fn_str" : "activation_fn";
            var activationFunction = config.OptionalString(activationField) ?? "relu";
            var kwargs = config.OptionalObject("activation_fn_kwargs");
            if (activationFunction == "topk" && kwargs is not null && kwargs.Has("k"))
            {
                architecture = "topk";
            }

            if (architecture == "topk")
            {
                k = kwargs is not null ? kwargs.Int("k", 1, h) : config.Int("k", 1, h);
            }
            else if (architecture == "standard" && activationFunction != "relu")
            {
                throw config.Unsupported(activationField, activationFunction == "topk"
                    ? "a pre-6 'topk' activation needs activation_fn_kwargs.k (SAELens would fall back to ReLU; this library refuses rather than change the activation)."
                    : "this library loads the 'relu' and 'topk' activations (SAELens 6 would run this SAE with ReLU; this library refuses rather than change the activation).");
            }
        }

        if (architecture is not ("standard" or "topk"))
        {
            throw new InvalidDataException(
                $"{config.Path}: architecture '{architecture}' is not supported; this library loads SAELens 'standard' (ReLU) and 'topk' SAEs.");
        }

        if (config.OptionalString("dtype") is { } dtype && !DataTypeNames.Contains(dtype))
        {
            throw config.Unsupported("dtype", $"SAELens accepts {string.Join(", ", DataTypeNames)}.");
        }

        var normalization = ReadNormalization(config, modern);
        if (normalization != "none")
        {
            throw config.Unsupported("normalize_activations", normalization switch
            {
                "expected_average_only_in" => "the inputs are to be scaled by a constant that is not stored in the folder (SAELens folds it in with fold_activation_norm_scaling_factor; save the folded SAE with 'none' to load it here).",
                "constant_norm_rescale" or "layer_norm" => "each input row is normalised before encoding and the output de-normalised, which is not part of this library's SAE; only 'none' is supported.",
                _ => "SAELens accepts none, expected_average_only_in, constant_norm_rescale and layer_norm; this library loads 'none' only.",
            });
        }

        if (config.OptionalString("reshape_activations") is { } reshape && reshape is not ("none" or "hook_z"))
        {
            throw config.Unsupported("reshape_activations", "expected 'none' or 'hook_z'.");
        }

        var apply = config.OptionalBool("apply_b_dec_to_input") ?? true;
        var rescale = architecture == "topk" && (config.OptionalBool("rescale_acts_by_decoder_norm") ?? false);
        return new Settings(architecture, d, h, k, apply, rescale);
    }

    /// <summary>
    /// normalize_activations: a string in SAELens 6; older configs may hold a boolean instead (false = "none",
    /// true = "expected_average_only_in"). Absent or null means "none".
    /// </summary>
    private static string ReadNormalization(LayoutConfig config, bool modern)
    {
        const string Field = "normalize_activations";
        if (!modern && config.Kind(Field) is JsonValueKind.True or JsonValueKind.False)
        {
            return config.OptionalBool(Field) == true ? "expected_average_only_in" : "none";
        }

        return config.OptionalString(Field) ?? "none";
    }

    /// <summary>The major version of a SAELens version string ("6.1.0", "v5.9.1", "6.0.0-rc.0").</summary>
    private static int MajorVersion(LayoutConfig config, string version)
    {
        var text = version.Trim();
        if (text.StartsWith('v') || text.StartsWith('V'))
        {
            text = text[1..];
        }

        var digits = text.TakeWhile(char.IsAsciiDigit).Count();
        if (digits is 0 or > 6)
        {
            throw new InvalidDataException($"{config.Path}: sae_lens_version is '{version}'; expected a version such as 6.1.0.");
        }

        return int.Parse(text.AsSpan(0, digits), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// SAELens drops a <c>scaling_factor</c> tensor that is all ones (within torch.allclose: |s - 1| &lt;= 1e-8 + 1e-5) and
    /// cannot load any other, so this refuses any other too.
    /// </summary>
    private static void CheckScalingFactor(SafeTensorsFile file, int latents)
    {
        if (!file.Contains("scaling_factor"))
        {
            return;
        }

        var scaling = LayoutTensors.Read(file, "scaling_factor", latents).Span;
        for (var i = 0; i < scaling.Length; i++)
        {
            if (!(Math.Abs(scaling[i] - 1.0) <= 1e-8 + 1e-5))
            {
                throw new InvalidDataException(
                    $"Tensor 'scaling_factor' of {file.Path} is {scaling[i]} at latent {i}; only an all-ones scaling factor (which SAELens drops) is supported.");
            }
        }
    }

    /// <summary>
    /// rescale_acts_by_decoder_norm folded into the weights: encoder row i and b_enc[i] times n_i, decoder row i divided
    /// by n_i, n_i = max(‖decoder row i‖, 1e-8) (SAELens's clamp).
    /// </summary>
    private static void FoldDecoderNorms(float[] encoderWeights, float[] encoderBias, float[] decoderWeights, int d)
    {
        for (var i = 0; i < encoderBias.Length; i++)
        {
            var decoderRow = decoderWeights.AsSpan(i * d, d);
            var sum = 0.0;
            foreach (var value in decoderRow)
            {
                sum += (double)value * value;
            }

            var norm = Math.Max((float)Math.Sqrt(sum), 1e-8f);
            foreach (ref var value in decoderRow)
            {
                value /= norm;
            }

            foreach (ref var value in encoderWeights.AsSpan(i * d, d))
            {
                value *= norm;
            }

            encoderBias[i] *= norm;
        }
    }

    /// <summary>apply_b_dec_to_input = false folded into the weights: b_enc[i] += Σ_j W'[i, j] b_dec[j], in double, rounded once.</summary>
    private static void FoldDecoderBiasIntoEncoderBias(float[] encoderWeights, float[] encoderBias, ReadOnlySpan<float> decoderBias)
    {
        var d = decoderBias.Length;
        for (var i = 0; i < encoderBias.Length; i++)
        {
            var row = encoderWeights.AsSpan(i * d, d);
            double sum = encoderBias[i];
            for (var j = 0; j < d; j++)
            {
                sum += (double)row[j] * decoderBias[j];
            }

            encoderBias[i] = (float)sum;
        }
    }
}
