using Spectre.Console;

namespace SparseDictionary.Cli;

/// <summary>Where a command writes and what it may assume of its terminal; tests run commands in process with their own.</summary>
internal sealed class CliContext
{
    /// <summary>Standard output: reports, tables, progress lines.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Standard error: the one-line error messages and warnings.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>The Spectre console that writes to <see cref="Out"/> (tables, the live progress display).</summary>
    public required IAnsiConsole Console { get; init; }

    /// <summary>Whether standard output is a terminal: a live progress display instead of plain lines.</summary>
    public bool Interactive { get; init; }

    /// <summary>Whether <c>train</c> turns Ctrl+C and SIGTERM into a clean stop (the real process; not tests).</summary>
    public bool HandleSignals { get; init; }

    /// <summary>Stops a running command as Ctrl+C does (tests).</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Called with every training progress report after it is recorded (tests).</summary>
    public Action<TrainingProgress>? ProgressObserver { get; init; }

    /// <summary>A context that writes plain text (no colours, no live display) to <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static CliContext Plain(TextWriter output, TextWriter error, CancellationToken cancellation = default, Action<TrainingProgress>? progressObserver = null)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 160;
        return new CliContext { Out = output, Error = error, Console = console, Cancellation = cancellation, ProgressObserver = progressObserver };
    }
}
