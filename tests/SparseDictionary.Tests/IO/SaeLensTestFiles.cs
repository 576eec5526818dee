using System.Text.Json;
using SparseDictionary.IO;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.IO;
/// <summary>SAELens folders for the layout tests: raw weights, v6 and v5 configs, and a writer of the two files.</summary>
internal static class SaeLensTestFiles
{
    internal const int D = 24;
    internal const int H = 40;
    internal const int K = 5;

    /// <summary>Raw SAELens weights: W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in] with rows of various norms, b_dec [d_in].</summary>
    internal sealed record Weights(float[] EncoderT, float[] EncoderBias, float[] Decoder, float[] DecoderBias)
    {
        public Weights Map(Func<float, float> round) =>
            new(EncoderT.Select(round).ToArray(), EncoderBias.Select(round).ToArray(), Decoder.Select(round).ToArray(), DecoderBias.Select(round).ToArray());
    }

    internal static Weights RandomWeights(int seed)
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

    internal static Dictionary<string, object?> Config(string architecture, int? k = K) => new()
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
    internal static Dictionary<string, object?> LegacyConfig(bool topK) => new()
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

    internal static string WriteFolder(TemporaryDirectory folder, Dictionary<string, object?>? config, Weights? weights, SafeTensorsDataType type = SafeTensorsDataType.F32, string name = "sae", Action<SafeTensorsWriter>? extra = null)
    {
        var directory = folder.Folder(name);
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
}
