using System.CommandLine;

namespace SparseDictionary.Cli;

/// <summary>Helpers to apply only the flags a user typed on top of a config.</summary>
internal static class ParseResultExtensions
{
    /// <summary>Whether <paramref name="option"/> was given on the command line (not just defaulted).</summary>
    public static bool Given(this ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>Calls <paramref name="apply"/> with the option's value when the option was given.</summary>
    public static void IfGiven<T>(this ParseResult parse, Option<T> option, Action<T> apply)
    {
        if (parse.Given(option))
        {
            apply(parse.GetValue(option)!);
        }
    }

    /// <summary>An option restricted to the kebab-case names of <typeparamref name="T"/>, with an error that names the flag.</summary>
    public static Option<string> EnumOption<T>(string name, string description)
        where T : struct, Enum
    {
        var option = new Option<string>(name) { Description = $"{description} One of: {string.Join(", ", EnumNames<T>.All)}." };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is not null && !TryParse<T>(value))
            {
                result.AddError($"{name}: '{value}' is not one of {string.Join(", ", EnumNames<T>.All)}.");
            }
        });
        return option;
    }

    /// <summary>An option restricted to <paramref name="allowed"/>, with an error that names the flag.</summary>
    public static Option<string> ChoiceOption(string name, string description, params string[] allowed)
    {
        var option = new Option<string>(name) { Description = $"{description} One of: {string.Join(", ", allowed)}." };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is not null && !allowed.Contains(value, StringComparer.OrdinalIgnoreCase))
            {
                result.AddError($"{name}: '{value}' is not one of {string.Join(", ", allowed)}.");
            }
        });
        return option;
    }

    private static bool TryParse<T>(string value)
        where T : struct, Enum
    {
        try
        {
            EnumNames<T>.Parse(value, string.Empty);
            return true;
        }
        catch (CliException)
        {
            return false;
        }
    }
}
