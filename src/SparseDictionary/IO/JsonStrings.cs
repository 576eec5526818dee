using System.Text;
using System.Text.Json;

namespace SparseDictionary.IO;

/// <summary>A check that JSON text from a file can be read as .NET strings.</summary>
internal static class JsonStrings
{
    /// <summary>
    /// Throws <see cref="InvalidDataException"/> unless every escaped string (names and values) of <paramref name="json"/>
    /// decodes to valid UTF-16. JSON allows an escape such as \ud800 that names half of a surrogate pair, which no .NET
    /// string can hold: reading it through <see cref="JsonElement"/> would throw <see cref="InvalidOperationException"/>.
    /// </summary>
    /// <param name="json">UTF-8 JSON text that has already parsed without error.</param>
    /// <param name="maxDepth">The depth it was parsed with.</param>
    /// <param name="subject">How the message names the text, e.g. "The header of /path/file.safetensors".</param>
    public static void CheckEscapes(ReadOnlySpan<byte> json, int maxDepth, string subject)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.PropertyName or JsonTokenType.String && reader.ValueIsEscaped)
            {
                try
                {
                    _ = reader.GetString();
                }
                catch (InvalidOperationException e)
                {
                    throw new InvalidDataException($"{subject} holds the string \"{Encoding.UTF8.GetString(reader.ValueSpan)}\", whose escapes are not valid UTF-16 (an unpaired surrogate).", e);
                }
            }
        }
    }
}
