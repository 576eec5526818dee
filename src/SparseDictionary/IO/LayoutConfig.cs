using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace SparseDictionary.IO;

/// <summary>
/// The <c>cfg.json</c> of an SAE folder (SAELens, sparsify), read as hostile input: at most <see cref="MaxBytes"/> bytes,
/// valid UTF-8 JSON whose root is an object without repeated keys, and every field read through a typed accessor that
/// names the file, the field, the value found and the value expected when it throws <see cref="InvalidDataException"/>.
/// </summary>
/// <remarks>
/// A field holding JSON <c>null</c> counts as absent, as it does for the Python loaders (<c>cfg.get(name)</c>).
/// Integers must be written as JSON integers (32, not 32.0 or 3.2e1).
/// </remarks>
internal sealed class LayoutConfig
{
    /// <summary>The largest config file accepted, in bytes (real ones are a few kilobytes).</summary>
    public const long MaxBytes = 16 << 20;

    private const int MaxDepth = 64;

    private readonly Dictionary<string, JsonElement> _fields;
    private readonly string _prefix;

    private LayoutConfig(string path, string prefix, Dictionary<string, JsonElement> fields)
    {
        Path = path;
        _prefix = prefix;
        _fields = fields;
    }

    /// <summary>The config file's path.</summary>
    public string Path { get; }

    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    /// <param name="path">A JSON file.</param>
    /// <returns>The config.</returns>
    /// <exception cref="InvalidDataException">The file is missing, too large, not JSON, not an object or repeats a key.</exception>
    public static LayoutConfig Read(string path)
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxBytes)
            {
                throw new InvalidDataException($"{path} is {stream.Length} bytes long; a config file may hold at most {MaxBytes}.");
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InvalidDataException($"{path} does not exist.", e);
        }

        if (!Utf8.IsValid(bytes))
        {
            throw new InvalidDataException($"{path} is not valid UTF-8; a config file is UTF-8 JSON.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            JsonStrings.CheckEscapes(bytes, MaxDepth, path);
            return FromObject(path, string.Empty, document.RootElement.Clone());
        }
    }

    /// <summary>Whether the field is present and not null.</summary>
    /// <param name="name">A field name.</param>
    /// <returns>True when the field holds a value.</returns>
    public bool Has(string name) => Find(name) is not null;

    /// <summary>The JSON kind of a field's value, or null when the field is absent or null.</summary>
    /// <param name="name">A field name.</param>
    /// <returns>The kind.</returns>
    public JsonValueKind? Kind(string name) => Find(name)?.ValueKind;

    /// <summary>A required integer field.</summary>
    /// <param name="name">The field name.</param>
    /// <param name="minimum">Smallest accepted value.</param>
    /// <param name="maximum">Largest accepted value.</param>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidDataException">The field is missing, not an integer or out of range.</exception>
    public int Int(string name, int minimum, int maximum) =>
        OptionalInt(name, minimum, maximum) ?? throw Missing(name, $"an integer in [{minimum}, {maximum}]");

    /// <summary>An optional integer field.</summary>
    /// <param name="name">The field name.</param>
    /// <param name="minimum">Smallest accepted value.</param>
    /// <param name="maximum">Largest accepted value.</param>
    /// <returns>The value, or null when the field is absent or null.</returns>
    /// <exception cref="InvalidDataException">The field is present but not an integer in range.</exception>
    public int? OptionalInt(string name, int minimum, int maximum)
    {
        if (Find(name) is not { } value)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && number >= minimum && number <= maximum
            ? (int)number
            : throw Invalid(name, value, $"an integer in [{minimum}, {maximum}]");
    }

    /// <summary>An optional boolean field.</summary>
    /// <param name="name">The field name.</param>
    /// <returns>The value, or null when the field is absent or null.</returns>
    /// <exception cref="InvalidDataException">The field is present but not true or false.</exception>
    public bool? OptionalBool(string name) => Find(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { } value => throw Invalid(name, value, "true or false"),
    };

    /// <summary>An optional string field.</summary>
    /// <param name="name">The field name.</param>
    /// <returns>The value, or null when the field is absent or null.</returns>
    /// <exception cref="InvalidDataException">The field is present but not a string.</exception>
    public string? OptionalString(string name) => Find(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        { } value => throw Invalid(name, value, "a string"),
    };

    /// <summary>A required string field.</summary>
    /// <param name="name">The field name.</param>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidDataException">The field is missing or not a string.</exception>
    public string String(string name) => OptionalString(name) ?? throw Missing(name, "a string");

    /// <summary>An optional nested object, read with the same accessors (its fields are named "outer.inner" in messages).</summary>
    /// <param name="name">The field name.</param>
    /// <returns>The object, or null when the field is absent or null.</returns>
    /// <exception cref="InvalidDataException">The field is present but not an object, or repeats a key.</exception>
    public LayoutConfig? OptionalObject(string name) => Find(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Object } value => FromObject(Path, FieldName(name) + ".", value),
        { } value => throw Invalid(name, value, "an object"),
    };

    /// <summary>An error for a field whose value is well-formed but not supported, naming the file, field and value.</summary>
    /// <param name="name">The field name.</param>
    /// <param name="problem">Why the value cannot be used, e.g. "this library loads 'none' only".</param>
    /// <returns>The exception, to throw.</returns>
    public InvalidDataException Unsupported(string name, string problem) =>
        new($"{Path}: '{FieldName(name)}' is {Find(name)?.GetRawText() ?? "absent"}; {problem}");

    /// <summary>
    /// Writes a config file atomically (temporary file, flush, rename) as indented UTF-8 JSON.
    /// </summary>
    /// <param name="path">The target.</param>
    /// <param name="write">Writes the root object's fields (the object itself is opened and closed here).</param>
    public static void Write(string path, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        AtomicFile.Write(path, stream => stream.Write(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    private static LayoutConfig FromObject(string path, string prefix, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{path} holds a JSON {element.ValueKind}; expected an object.");
        }

        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!fields.TryAdd(property.Name, property.Value))
            {
                throw new InvalidDataException($"{path} names '{prefix}{property.Name}' twice.");
            }
        }

        return new LayoutConfig(path, prefix, fields);
    }

    private JsonElement? Find(string name) =>
        _fields.TryGetValue(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private string FieldName(string name) => _prefix + name;

    private InvalidDataException Missing(string name, string expected) =>
        new($"{Path} has no '{FieldName(name)}'; expected {expected}.");

    private InvalidDataException Invalid(string name, JsonElement value, string expected)
    {
        var text = value.GetRawText();
        if (text.Length > 80)
        {
            text = string.Concat(text.AsSpan(0, 77), "...");
        }

        return new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{Path}: '{FieldName(name)}' is {text}; expected {expected}."));
    }
}
