using System.Globalization;

namespace SparseDictionary.Cli;

/// <summary>Loads SAEs from what a user points at: an SAE folder (any layout), a checkpoint, or a folder of checkpoints.</summary>
internal static class SaeFolders
{
    /// <summary>The file that marks a checkpoint folder.</summary>
    public const string CheckpointMarker = "trainer.json";

    /// <summary>The prefix of checkpoint folders inside a checkpoint directory.</summary>
    public const string CheckpointPrefix = "step-";

    /// <summary>Whether <paramref name="path"/> is one checkpoint (a step-N folder).</summary>
    public static bool IsCheckpoint(string path) => File.Exists(Path.Combine(path, CheckpointMarker));

    /// <summary>Whether <paramref name="path"/> is a folder of checkpoints.</summary>
    public static bool IsCheckpointDirectory(string path) =>
        Directory.Exists(path) && Directory.EnumerateDirectories(path, CheckpointPrefix + "*").Any();

    /// <summary>The SAEs at <paramref name="path"/>, each with a name for reports and plots.</summary>
    /// <exception cref="CliException">The path does not exist or holds no SAE.</exception>
    public static IReadOnlyList<(string Name, SparseAutoencoder Sae)> Load(string path)
    {
        if (!Directory.Exists(path))
        {
            throw new CliException(File.Exists(path)
                ? $"{path} is a file; an SAE is a folder (sparse_dictionary.json, SAELens's or sparsify's cfg.json + weights) or a checkpoint folder."
                : $"The SAE folder {path} does not exist.");
        }

        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
        if (SparseAutoencoder.DetectLayout(path) is not null)
        {
            return [(name, SparseAutoencoder.Load(path))];
        }

        TrainingCheckpoint checkpoint;
        if (IsCheckpoint(path))
        {
            checkpoint = TrainingCheckpoint.Load(path);
        }
        else if (IsCheckpointDirectory(path))
        {
            checkpoint = TrainingCheckpoint.LoadLatest(path);
            name = Path.GetFileName(checkpoint.Path);
        }
        else
        {
            throw new CliException($"{path} holds no SAE: expected sparse_dictionary.json (this library), cfg.json + sae_weights.safetensors (SAELens), cfg.json + sae.safetensors (sparsify), or a checkpoint.");
        }

        return checkpoint.Saes.Count == 1
            ? [(name, checkpoint.Saes[0])]
            : [.. checkpoint.Saes.Select((sae, i) => (string.Create(CultureInfo.InvariantCulture, $"{name}/sae{i}"), sae))];
    }

    /// <summary>Names made distinct by appending #2, #3 to repeats.</summary>
    public static string[] Distinct(IEnumerable<string> names)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var name in names)
        {
            var count = seen.GetValueOrDefault(name) + 1;
            seen[name] = count;
            result.Add(count == 1 ? name : string.Create(CultureInfo.InvariantCulture, $"{name}#{count}"));
        }

        return [.. result];
    }
}
