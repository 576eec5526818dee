using System.Text.Json;
using SparseDictionary.IO;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.IO;

/// <summary>sparsify folders for the layout tests: raw weights, the config sparsify writes, and a writer of the two files.</summary>
internal static class SparsifyTestFiles
{
    internal const int D = 20;
    internal const int H = 56;
    internal const int K = 6;

    /// <summary>Raw sparsify weights: encoder.weight [num_latents, d_in], encoder.bias, W_dec [num_latents, d_in], b_dec.</summary>
    internal sealed record Weights(float[] Encoder, float[] EncoderBias, float[] Decoder, float[] DecoderBias)
    {
        public Weights Map(Func<float, float> round) =>
            new(Encoder.Select(round).ToArray(), EncoderBias.Select(round).ToArray(), Decoder.Select(round).ToArray(), DecoderBias.Select(round).ToArray());
    }

    internal static Weights RandomWeights(int seed, float encoderBiasShift = 0)
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
    internal static Dictionary<string, object?> Config() => new()
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

    internal static string WriteFolder(TemporaryDirectory folder, Dictionary<string, object?>? config, Weights? weights, SafeTensorsDataType type = SafeTensorsDataType.F32, string name = "sae", Action<SafeTensorsWriter>? extra = null)
    {
        var directory = folder.Folder(name);
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
}
