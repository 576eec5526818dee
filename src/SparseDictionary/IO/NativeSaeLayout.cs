using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SparseDictionary.IO;

/// <summary>
/// The library's own SAE folder: <c>sparse_dictionary.json</c> and <c>weights.safetensors</c>.
/// </summary>
/// <remarks>
/// <para><c>sparse_dictionary.json</c>: <c>{"format": "sparse-dictionary-sae", "format_version": 1,
/// "library_version": "…", "input_dimension": d, "latent_count": h, "activation": {"kind": "topk", "k": 32}}</c>.</para>
/// <para><c>weights.safetensors</c>: F32 tensors <c>encoder.weight</c> [h, d] (row i: latent i's encoder direction),
/// <c>encoder.bias</c> [h], <c>decoder.weight</c> [h, d] (row i: latent i's decoder direction) and <c>decoder.bias</c> [d].
/// The weights are written as they are, so a save and load round trip is bit-identical.</para>
/// </remarks>
internal static class NativeSaeLayout
{
    public const string ConfigFile = "sparse_dictionary.json";
    public const string WeightsFile = "weights.safetensors";
    public const string FormatName = "sparse-dictionary-sae";
    public const int FormatVersion = 1;

    public const string EncoderWeight = "encoder.weight";
    public const string EncoderBias = "encoder.bias";
    public const string DecoderWeight = "decoder.weight";
    public const string DecoderBias = "decoder.bias";

    /// <summary>The library's version, written into saved files.</summary>
    public static string LibraryVersion { get; } =
        typeof(NativeSaeLayout).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(NativeSaeLayout).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    public static bool IsLayout(string directory) => File.Exists(Path.Combine(directory, ConfigFile));

    public static void Save(SparseAutoencoder sae, string directory)
    {
        var config = new JsonObject
        {
            ["format"] = FormatName,
            ["format_version"] = FormatVersion,
            ["library_version"] = LibraryVersion,
            ["input_dimension"] = sae.InputDimension,
            ["latent_count"] = sae.LatentCount,
            ["activation"] = ActivationRegistry.Describe(sae.Activation),
        };
        Directory.CreateDirectory(directory);
        WeightsWriter(sae).Save(Path.Combine(directory, WeightsFile));
        WriteJson(Path.Combine(directory, ConfigFile), config);
    }

    /// <summary>A writer holding the SAE's four tensors under the native names (F32).</summary>
    public static SafeTensorsWriter WeightsWriter(SparseAutoencoder sae, string prefix = "")
    {
        long d = sae.InputDimension;
        long h = sae.LatentCount;
        return new SafeTensorsWriter()
            .SetMetadata("format", FormatName)
            .Add(prefix + EncoderWeight, sae.EncoderWeightsBuffer.Span, [h, d])
            .Add(prefix + EncoderBias, sae.EncoderBiasBuffer.Span, [h])
            .Add(prefix + DecoderWeight, sae.DecoderWeightsBuffer.Span, [h, d])
            .Add(prefix + DecoderBias, sae.DecoderBiasBuffer.Span, [d]);
    }

    public static SparseAutoencoder Load(string directory)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        var config = ReadJsonObject(configPath);
        var format = config["format"] is JsonValue f && f.TryGetValue<string>(out var name) ? name : null;
        if (format != FormatName)
        {
            throw new InvalidDataException($"{configPath} has format {(format is null ? "(none)" : $"'{format}'")}; expected '{FormatName}'.");
        }

        var version = ReadInt(config, "format_version", configPath);
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"{configPath} has format_version {version}; this library reads version {FormatVersion}.");
        }

        var d = ReadInt(config, "input_dimension", configPath);
        var h = ReadInt(config, "latent_count", configPath);
        if (config["activation"] is not JsonObject activationDescription)
        {
            throw new InvalidDataException($"{configPath} has no \"activation\" object.");
        }

        var activation = ActivationRegistry.Create(activationDescription);
        var weightsPath = Path.Combine(directory, WeightsFile);
        using var weights = SafeTensorsFile.Open(weightsPath);
        return ReadWeights(weights, activation, d, h, prefix: string.Empty);
    }

    /// <summary>Builds an SAE from the four native tensors of <paramref name="file"/>, checking dtypes and shapes.</summary>
    public static SparseAutoencoder ReadWeights(SafeTensorsFile file, IActivation activation, int d, int h, string prefix)
    {
        var encoderWeights = Read(file, prefix + EncoderWeight, [h, d]);
        var encoderBias = Read(file, prefix + EncoderBias, [h]);
        var decoderWeights = Read(file, prefix + DecoderWeight, [h, d]);
        var decoderBias = Read(file, prefix + DecoderBias, [d]);
        try
        {
            return SparseAutoencoder.FromWeights(activation, d, h, encoderWeights, encoderBias, decoderWeights, decoderBias);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{file.Path}: {e.Message}", e);
        }
    }

    private static float[] Read(SafeTensorsFile file, string name, long[] shape)
    {
        if (!file.Contains(name))
        {
            throw new InvalidDataException($"{file.Path} has no tensor '{name}'.");
        }

        var info = file.GetInfo(name);
        if (info.DataType != SafeTensorsDataType.F32 || !info.Shape.SequenceEqual(shape))
        {
            throw new InvalidDataException($"Tensor '{name}' of {file.Path} is {info.DataType} {info.ShapeText}; expected F32 [{string.Join(", ", shape)}].");
        }

        return file.ReadSingle(name);
    }

    /// <summary>Reads a JSON object from <paramref name="path"/>; a missing file, bad JSON or a non-object throw with the path.</summary>
    public static JsonObject ReadJsonObject(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} does not exist.", path);
        }

        var info = new FileInfo(path);
        const long maxConfigBytes = 16 << 20;
        if (info.Length > maxConfigBytes)
        {
            throw new InvalidDataException($"{path} is {info.Length} bytes; a config file is at most {maxConfigBytes}.");
        }

        try
        {
            return JsonNode.Parse(File.ReadAllBytes(path), documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject
                ?? throw new InvalidDataException($"{path} is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Writes <paramref name="node"/> as indented JSON, atomically.</summary>
    public static void WriteJson(string path, JsonNode node)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(node, JsonOptions);
        try
        {
            AtomicFile.Write(path, stream => stream.Write(bytes));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write {path}: {e.Message}", e);
        }
    }

    /// <summary>Reads integer field <paramref name="name"/> (at least 1) of a config.</summary>
    public static int ReadInt(JsonObject config, string name, string path, int minimum = 1)
    {
        if (config[name] is not JsonValue value || !value.TryGetValue<int>(out var result))
        {
            throw new InvalidDataException($"{path} needs an integer \"{name}\".");
        }

        return result >= minimum ? result : throw new InvalidDataException($"{path} has {name} = {result}; expected at least {minimum}.");
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}
