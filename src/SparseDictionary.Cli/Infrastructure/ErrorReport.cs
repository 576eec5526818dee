using System.Text.Json;
using Microsoft.Extensions.Options;

namespace SparseDictionary.Cli;

/// <summary>Turns an exception into the one line the user sees (never a stack trace unless --debug asks for it).</summary>
internal static class ErrorReport
{
    /// <summary>Exit code of a failed command.</summary>
    public const int Failure = 1;

    /// <summary>Writes the error to the context's error stream and returns <see cref="Failure"/>.</summary>
    public static int Write(CliContext context, Exception exception, bool debug)
    {
        var line = Describe(exception);
        context.Error.WriteLine($"sdict: error: {line}");
        if (debug)
        {
            context.Error.WriteLine(exception.ToString());
        }

        return Failure;
    }

    /// <summary>The one-line message of <paramref name="exception"/>.</summary>
    public static string Describe(Exception exception)
    {
        var text = exception switch
        {
            AggregateException { InnerExceptions.Count: 1 } aggregate => Describe(aggregate.InnerExceptions[0]),
            OptionsValidationException options => string.Join(" ", options.Failures),
            ArgumentException { ParamName: { } name } argument => argument.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal),
            KeyNotFoundException notFound => notFound.Message.Trim('\''),
            CliException or IOException or UnauthorizedAccessException or InvalidDataException or JsonException or ArgumentException
                or InvalidOperationException or NotSupportedException or FormatException or OverflowException => exception.Message,
            _ => $"internal error ({exception.GetType().Name}): {exception.Message} (run with --debug for the stack trace)",
        };
        var lines = text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("Actual value was", StringComparison.Ordinal));
        return FieldNames.Rewrite(string.Join(' ', lines));
    }
}
