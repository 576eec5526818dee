using System.CommandLine;
using System.CommandLine.Invocation;

namespace SparseDictionary.Cli;

/// <summary>The <c>sdict</c> command tree and its invocation: parse errors and failures become one line and exit code 1.</summary>
internal static class SdictApp
{
    /// <summary>Runs <c>sdict</c> with <paramref name="args"/> and returns the exit code.</summary>
    public static int Run(string[] args, CliContext context)
    {
        var debug = new Option<bool>("--debug") { Description = "Print the stack trace of an error.", Recursive = true };
        var root = new RootCommand("sdict: train, evaluate, convert and inspect sparse autoencoders (SparseDictionary).")
        {
            debug,
            TrainCommand.Create(context),
            EvalCommand.Create(context),
            ConvertCommand.Create(context),
            InspectCommand.Create(context),
            SynthCommand.Create(context),
        };

        var parse = root.Parse(args.Length == 0 ? ["--help"] : args);
        if (parse.Action is ParseErrorAction && parse.Errors.Count > 0)
        {
            // Each error on one line, then where the usage is; no help page in between.
            var messages = parse.CommandResult.Command == root && parse.UnmatchedTokens.Count > 0
                ? [$"'{parse.UnmatchedTokens[0]}' is not a command; the commands are {string.Join(", ", root.Subcommands.Select(c => c.Name))}."]
                : parse.Errors.Select(e => e.Message);
            foreach (var message in messages)
            {
                context.Error.WriteLine($"sdict: error: {message}");
            }

            var command = string.Join(' ', parse.CommandResult.Command == root ? ["sdict"] : ["sdict", parse.CommandResult.Command.Name]);
            context.Error.WriteLine($"Run '{command} --help' for the usage.");
            return ErrorReport.Failure;
        }

        var invocation = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            EnableDefaultExceptionHandler = false,
            // train handles Ctrl+C itself so that the checkpoint is written before the process ends.
            ProcessTerminationTimeout = null,
        };
        try
        {
            return parse.Invoke(invocation);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ErrorReport.Write(context, e, parse.GetValue(debug));
        }
        finally
        {
            context.Out.Flush();
            context.Error.Flush();
        }
    }
}
