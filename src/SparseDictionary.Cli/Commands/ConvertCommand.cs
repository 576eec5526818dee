using System.CommandLine;
using System.Globalization;

namespace SparseDictionary.Cli;

/// <summary><c>sdict convert</c>: rewrites an SAE in the library's layout, SAELens's or sparsify's (the input's layout is detected).</summary>
internal static class ConvertCommand
{
    public static Command Create(CliContext context)
    {
        var input = new Argument<string>("input") { Description = "An SAE folder (any layout), a checkpoint folder or a folder of checkpoints." };
        var output = new Argument<string>("output") { Description = "The folder to write." };
        var to = ParseResultExtensions.EnumOption<SaeFileLayout>("--to", "The layout to write.");
        to.Required = true;
        var index = new Option<int?>("--index") { Description = "Which SAE of a checkpoint holding several (0-based)." };
        var force = new Option<bool>("--force") { Description = "Write into an output folder that is not empty." };
        var command = new Command("convert", "Convert an SAE between this library's layout, SAELens and sparsify.") { input, output, to, index, force };
        command.SetAction(parse =>
        {
            var from = parse.GetValue(input)!;
            var target = parse.GetValue(output)!;
            var layout = EnumNames<SaeFileLayout>.Parse(parse.GetValue(to)!, "--to");
            var saes = SaeFolders.Load(from);
            var chosen = parse.GetValue(index);
            if (saes.Count > 1 && chosen is null)
            {
                throw new CliException(string.Create(CultureInfo.InvariantCulture, $"{from} holds {saes.Count} SAEs; choose one with --index 0 to {saes.Count - 1}."));
            }

            var i = chosen ?? 0;
            if (i < 0 || i >= saes.Count)
            {
                throw new CliException(string.Create(CultureInfo.InvariantCulture, $"--index {i} is out of range: {from} holds {saes.Count} SAE{(saes.Count == 1 ? string.Empty : "s")}."));
            }

            if (Path.GetFullPath(from).TrimEnd(Path.DirectorySeparatorChar) == Path.GetFullPath(target).TrimEnd(Path.DirectorySeparatorChar))
            {
                throw new CliException($"The output {target} is the input folder; write the converted SAE to another folder.");
            }

            if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !parse.GetValue(force))
            {
                throw new CliException($"The output folder {target} is not empty; pass --force to write into it.");
            }

            var sae = saes[i].Sae;
            sae.Save(target, layout);
            var source = SparseAutoencoder.DetectLayout(from) is { } detected ? EnumNames<SaeFileLayout>.Name(detected) : "checkpoint";
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"converted {from} ({source}) to {target} ({EnumNames<SaeFileLayout>.Name(layout)}): d = {sae.InputDimension}, {sae.LatentCount} latents, {sae.Activation.Name}"));
            return 0;
        });
        return command;
    }
}
