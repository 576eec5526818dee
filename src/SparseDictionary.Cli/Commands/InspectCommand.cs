using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SparseDictionary.IO;
using Spectre.Console;

namespace SparseDictionary.Cli;

/// <summary><c>sdict inspect</c>: a file's tensors, shapes, dtypes and config: safetensors, .npy, an SAE folder, a checkpoint or a folder of checkpoints.</summary>
internal static class InspectCommand
{
    private static readonly string[] ConfigFiles = ["sparse_dictionary.json", "cfg.json"];
    private static readonly string[] WeightFiles = ["weights.safetensors", "sae_weights.safetensors", "sae.safetensors"];
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create(CliContext context)
    {
        var path = new Argument<string>("path") { Description = "A .safetensors file, a .npy file, an SAE folder, a checkpoint folder or a folder of checkpoints." };
        var command = new Command("inspect", "Print the tensors (names, dtypes, shapes) and config of a file or folder.") { path };
        command.SetAction(parse =>
        {
            var target = parse.GetValue(path)!;
            if (File.Exists(target))
            {
                InspectFile(context, target);
            }
            else if (!Directory.Exists(target))
            {
                throw new CliException($"{target} does not exist.");
            }
            else if (SparseAutoencoder.DetectLayout(target) is { } layout)
            {
                InspectSae(context, target, layout);
            }
            else if (SaeFolders.IsCheckpoint(target))
            {
                InspectCheckpoint(context, target);
            }
            else if (SaeFolders.IsCheckpointDirectory(target))
            {
                InspectCheckpoints(context, target);
            }
            else
            {
                throw new CliException($"{target} is neither an SAE folder (sparse_dictionary.json, or cfg.json with SAELens's or sparsify's weights) nor a checkpoint folder.");
            }

            return 0;
        });
        return command;
    }

    private static void InspectFile(CliContext context, string path)
    {
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            using var npy = NpyFile.Open(path);
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{path}: NumPy format {npy.FormatVersion}, dtype {(npy.DataType == NpyDataType.Float32 ? "float32" : "float16")}, shape [{npy.Rows}, {npy.Columns}], data at byte {npy.DataOffset}"));
        }
        else if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            WriteSafeTensors(context, path);
        }
        else if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            WriteJson(context, path);
        }
        else
        {
            throw new CliException($"{path} is not a .npy, .safetensors or .json file.");
        }
    }

    private static void InspectSae(CliContext context, string folder, SaeFileLayout layout)
    {
        var sae = SparseAutoencoder.Load(folder);
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{folder}: SAE in the {EnumNames<SaeFileLayout>.Name(layout)} layout, d = {sae.InputDimension}, {sae.LatentCount} latents, {sae.Activation.Name}"));
        foreach (var config in ConfigFiles.Select(f => Path.Combine(folder, f)).Where(File.Exists))
        {
            WriteJson(context, config);
        }

        foreach (var weights in WeightFiles.Select(f => Path.Combine(folder, f)).Where(File.Exists))
        {
            WriteSafeTensors(context, weights);
        }
    }

    private static void InspectCheckpoint(CliContext context, string folder)
    {
        var checkpoint = TrainingCheckpoint.Load(folder);
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{folder}: checkpoint after step {checkpoint.Step:N0} ({checkpoint.Tokens:N0} tokens), {checkpoint.Saes.Count} SAE{(checkpoint.Saes.Count == 1 ? string.Empty : "s")}, {checkpoint.Reinitializations.Count} reinitialisations"));
        for (var i = 0; i < checkpoint.Saes.Count; i++)
        {
            var sae = checkpoint.Saes[i];
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  sae{i}: d = {sae.InputDimension}, {sae.LatentCount} latents, {sae.Activation.Name}"));
        }

        WriteJson(context, Path.Combine(folder, SaeFolders.CheckpointMarker));
        WriteSafeTensors(context, Path.Combine(folder, "state.safetensors"));
    }

    private static void InspectCheckpoints(CliContext context, string folder)
    {
        var all = TrainingCheckpoint.List(folder);
        context.Out.WriteLine($"{folder}: {all.Count} checkpoint{(all.Count == 1 ? string.Empty : "s")}, newest first:");
        foreach (var checkpoint in all)
        {
            context.Out.WriteLine($"  {checkpoint}");
        }

        context.Out.WriteLine("inspect one of them for its SAEs, options and tensors.");
    }

    private static void WriteSafeTensors(CliContext context, string path)
    {
        using var file = SafeTensorsFile.Open(path);
        context.Out.WriteLine($"{path}: {file.Tensors.Count} tensor{(file.Tensors.Count == 1 ? string.Empty : "s")}");
        context.Out.Flush();
        var table = new Table().AddColumn("tensor").AddColumn("dtype").AddColumn("shape").AddColumn(new TableColumn("bytes").RightAligned());
        foreach (var tensor in file.Tensors)
        {
            table.AddRow(Markup.Escape(tensor.Name), tensor.DataType.ToString(), Markup.Escape(tensor.ShapeText), (tensor.DataEnd - tensor.DataStart).ToString("N0", CultureInfo.InvariantCulture));
        }

        context.Console.Write(table);
        foreach (var (key, value) in file.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            context.Out.WriteLine($"  metadata {key} = {value}");
        }
    }

    private static void WriteJson(CliContext context, string path)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new CliException($"{path} is not valid JSON: {e.Message}", e);
        }

        context.Out.WriteLine($"{path}:");
        context.Out.WriteLine(node?.ToJsonString(Indented) ?? "null");
    }
}
