using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace SparseDictionary.Cli;

/// <summary>Reads and writes the JSON config of <c>sdict train</c>; a field that does not exist is an error naming it.</summary>
internal static class ConfigFile
{
    private const string UnmappedMarker = "could not be mapped to any .NET member";

    /// <summary>camelCase fields, kebab-case enums, comments and trailing commas allowed, unknown fields refused.</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        // Computed properties (SaeTrainerOptions.Steps) are neither written nor accepted.
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { DropReadOnly } },
    };

    /// <summary>Loads <paramref name="path"/>.</summary>
    /// <exception cref="CliException">The file is missing or not valid JSON, a field does not exist, or a value has the wrong type; the message names the file, the field and the line.</exception>
    public static TrainConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"The config file {path} (--config) does not exist.");
        }

        try
        {
            return JsonSerializer.Deserialize<TrainConfig>(File.ReadAllText(path), Json) ?? throw new CliException($"The config file {path} holds null instead of an object.");
        }
        catch (JsonException e)
        {
            throw new CliException(Explain(path, e), e);
        }
    }

    /// <summary>Writes <paramref name="config"/> to <paramref name="path"/> (the run's effective config, read again by --resume).</summary>
    public static void Save(TrainConfig config, string path)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(config, Json));
        File.Move(temporary, path, overwrite: true);
    }

    private static string Explain(string path, JsonException e)
    {
        var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? null : e.Path.TrimStart('$', '.');
        var line = e.LineNumber is { } l ? $", line {l + 1}" : string.Empty;
        if (e.Message.Contains(UnmappedMarker, StringComparison.Ordinal))
        {
            var name = UnmappedName(e.Message);
            var full = field is null ? name : field.EndsWith(name, StringComparison.OrdinalIgnoreCase) ? field : $"{field}.{name}";
            return $"{path}{line}: unknown field '{full}' (docs/cli.md lists the fields).";
        }

        var reason = e.Message.Split(" Path:", 2)[0].TrimEnd('.');
        return field is null ? $"{path}{line}: not a valid config: {reason}." : $"{path}{line}: field '{field}': {reason}.";
    }

    /// <summary>The property name in System.Text.Json's "The JSON property 'x' could not be mapped ..." message.</summary>
    private static string UnmappedName(string message)
    {
        var start = message.IndexOf('\'', StringComparison.Ordinal);
        var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
        return end > start ? message[(start + 1)..end] : "?";
    }

    private static void DropReadOnly(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        for (var i = info.Properties.Count - 1; i >= 0; i--)
        {
            if (info.Properties[i].Set is null)
            {
                info.Properties.RemoveAt(i);
            }
        }
    }
}
