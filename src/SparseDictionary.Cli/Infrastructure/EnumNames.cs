using System.Text.Json;

namespace SparseDictionary.Cli;

/// <summary>Kebab-case names of an enum's values, the spelling used by flags and by the JSON config (e.g. geometric-median).</summary>
internal static class EnumNames<T>
    where T : struct, Enum
{
    private static readonly Dictionary<string, T> ByName = Enum.GetValues<T>().ToDictionary(v => Name(v), v => v, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every name, in declaration order.</summary>
    public static string[] All { get; } = [.. Enum.GetValues<T>().Select(Name)];

    /// <summary>The kebab-case name of <paramref name="value"/>.</summary>
    public static string Name(T value) => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    /// <summary>The value named <paramref name="name"/>; <paramref name="label"/> names the flag or field in the error.</summary>
    public static T Parse(string name, string label) =>
        ByName.TryGetValue(name, out var value) || (!char.IsAsciiDigit(name.FirstOrDefault()) && Enum.TryParse(name, ignoreCase: true, out value) && Enum.IsDefined(value))
            ? value
            : throw new CliException($"{label}: '{name}' is not one of {string.Join(", ", All)}.");
}
