using System.Text.Json;
using SparseDictionary.IO;
using SparseDictionary.Tests.Support;
using static SparseDictionary.Tests.IO.SparsifyTestFiles;

namespace SparseDictionary.Tests.IO;

/// <summary>sparsify folders the loader must refuse, each with a message that names the folder and the fault, and SAEs Save refuses.</summary>
public sealed class SparsifyLayoutRefusalTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

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

        var directory = WriteFolder(_folder, config, RandomWeights(20));
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
}
