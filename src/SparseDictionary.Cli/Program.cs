using SparseDictionary.Cli;
using Spectre.Console;

// sdict: the command-line tool of SparseDictionary. Every command lives in Commands/; SdictApp wires them together.
var context = new CliContext
{
    Out = Console.Out,
    Error = Console.Error,
    Console = AnsiConsole.Console,
    Interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive,
    HandleSignals = true,
};
return SdictApp.Run(args, context);
