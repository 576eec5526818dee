using System.Text.Json;
using SparseDictionary.IO;
using SparseDictionary.Tests.Support;
using static SparseDictionary.Tests.IO.SaeLensTestFiles;

namespace SparseDictionary.Tests.IO;

/// <summary>SAELens folders the loader must refuse, each with a message that names the folder and the fault.</summary>
public sealed class SaeLensLayoutRefusalTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

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

        var directory = WriteFolder(_folder, config, RandomWeights(20));
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
}
