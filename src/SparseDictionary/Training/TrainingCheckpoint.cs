using System.Text.Json;
using System.Text.Json.Nodes;
using SparseDictionary.IO;

namespace SparseDictionary;

/// <summary>
/// A checkpoint of a training run, loaded from disk: everything the run depends on after a completed step, so that
/// <see cref="SaeTrainer.Resume"/> continues it to the same final weights, bit for bit, as the uninterrupted run.
/// </summary>
/// <remarks>
/// <para>A checkpoint is a folder <c>step-NNNNNNNNNN</c> (the number of completed steps) inside
/// <see cref="CheckpointOptions.Directory"/> holding two files:</para>
/// <para><c>state.safetensors</c>: per SAE i, its weights (<c>sae{i}.encoder.weight</c> [h, d], <c>encoder.bias</c>,
/// <c>decoder.weight</c>, <c>decoder.bias</c>), its AdamW moments (<c>sae{i}.adamw.m.*</c> and <c>adamw.v.*</c> per
/// parameter, F32) and its firing history (<c>sae{i}.tokens_since_fired</c>, I64).</para>
/// <para><c>trainer.json</c>: format and library version, completed steps, tokens, the options, each SAE's dimensions,
/// activation, AdamW step count and reinitialisation count, each regularizer's name and state
/// (<see cref="ICheckpointable"/>, e.g. MFR's partners), the noiser's name and state, the reinitialisations so far, and
/// the SHA-256 of <c>state.safetensors</c>. The data position is the token count: the stream of a source is a function
/// of its construction and that position (<see cref="ISeekableActivationSource"/>).</para>
/// <para>Loading checks every file as hostile input and the state file against its hash, so a cut or damaged
/// checkpoint is refused with <see cref="InvalidDataException"/> naming the path; <see cref="LoadLatest"/> then falls
/// back to the newest checkpoint that loads and says which it took and which it skipped.</para>
/// </remarks>
public sealed class TrainingCheckpoint
{
    private readonly JsonObject _trainer;

    private TrainingCheckpoint(string path, JsonObject trainer, SparseAutoencoder[] saes, SaeTrainerOptions options, IReadOnlyList<string> skipped)
    {
        Path = path;
        _trainer = trainer;
        Saes = saes;
        Options = options;
        Skipped = skipped;
        Step = ReadLong(trainer, "step", path, 1);
        Tokens = ReadLong(trainer, "tokens", path, 1);
        Reinitializations = ReadEvents(trainer, path);
    }

    /// <summary>The checkpoint's folder.</summary>
    public string Path { get; }

    /// <summary>Steps completed when the checkpoint was written.</summary>
    public long Step { get; }

    /// <summary>Tokens trained on when the checkpoint was written (the data position).</summary>
    public long Tokens { get; }

    /// <summary>The run's SAEs with the checkpoint's weights; <see cref="SaeTrainer.Resume"/> trains them in place.</summary>
    public IReadOnlyList<SparseAutoencoder> Saes { get; }

    /// <summary>The options of the run (a copy).</summary>
    public SaeTrainerOptions Options { get; }

    /// <summary>The reinitialisations of the run up to the checkpoint.</summary>
    public IReadOnlyList<ReinitializationEvent> Reinitializations { get; }

    /// <summary>Newer checkpoints that <see cref="LoadLatest"/> could not load, each as "path: reason" (empty for <see cref="Load(string)"/>).</summary>
    public IReadOnlyList<string> Skipped { get; }

    internal JsonObject Trainer => _trainer;

    /// <summary>The checkpoint folders in <paramref name="directory"/>, newest first.</summary>
    /// <param name="directory">A run's checkpoint folder (<see cref="CheckpointOptions.Directory"/>).</param>
    /// <returns>Full paths; empty when the folder does not exist or holds none.</returns>
    public static IReadOnlyList<string> List(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return [.. CheckpointStore.List(directory).Select(c => c.Path)];
    }

    /// <summary>Loads the newest checkpoint of <paramref name="directory"/> that is complete and intact.</summary>
    /// <param name="directory">A run's checkpoint folder.</param>
    /// <returns>The checkpoint; <see cref="Path"/> says which one it is and <see cref="Skipped"/> which newer ones were refused and why.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">No checkpoint in the folder loads; the message lists each with its reason.</exception>
    public static TrainingCheckpoint LoadLatest(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The checkpoint folder {directory} does not exist.");
        }

        var skipped = new List<string>();
        foreach (var (path, _) in CheckpointStore.List(directory))
        {
            try
            {
                return LoadFolder(path, skipped);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                skipped.Add($"{path}: {e.Message}");
            }
        }

        throw new InvalidDataException(skipped.Count == 0
            ? $"{directory} holds no checkpoint ({CheckpointStore.FolderPrefix}* folder)."
            : $"No checkpoint in {directory} loads: {string.Join(" | ", skipped)}");
    }

    /// <summary>Loads one checkpoint folder.</summary>
    /// <param name="path">A <c>step-NNNNNNNNNN</c> folder.</param>
    /// <returns>The checkpoint.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file of the checkpoint is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or damaged; the message names it.</exception>
    public static TrainingCheckpoint Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return LoadFolder(path, []);
    }

    private static TrainingCheckpoint LoadFolder(string path, List<string> skipped)
    {
        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"The checkpoint {path} does not exist.");
        }

        var trainerPath = System.IO.Path.Combine(path, CheckpointStore.TrainerFile);
        var trainer = NativeSaeLayout.ReadJsonObject(trainerPath);
        var format = trainer["format"] is JsonValue f && f.TryGetValue<string>(out var name) ? name : null;
        if (format != CheckpointStore.FormatName || ReadLong(trainer, "format_version", trainerPath, 1) != CheckpointStore.FormatVersion)
        {
            throw new InvalidDataException($"{trainerPath} is not a version {CheckpointStore.FormatVersion} '{CheckpointStore.FormatName}' file.");
        }

        SaeTrainerOptions options;
        try
        {
            options = trainer["options"] is JsonObject node
                ? node.Deserialize<SaeTrainerOptions>(CheckpointStore.OptionsJson) ?? throw new InvalidDataException($"{trainerPath} has null options.")
                : throw new InvalidDataException($"{trainerPath} has no \"options\" object.");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new InvalidDataException($"The options in {trainerPath} cannot be read: {e.Message}", e);
        }

        var statePath = System.IO.Path.Combine(path, CheckpointStore.StateFile);
        if (!File.Exists(statePath))
        {
            throw new FileNotFoundException($"{statePath} does not exist.", statePath);
        }

        var expectedHash = trainer["state_sha256"] is JsonValue h && h.TryGetValue<string>(out var hash) ? hash : null;
        var actualHash = CheckpointStore.Sha256(statePath);
        if (!string.Equals(expectedHash, actualHash, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{statePath} has SHA-256 {actualHash} but {trainerPath} records {expectedHash ?? "(none)"}; the checkpoint is damaged.");
        }

        if (trainer["saes"] is not JsonArray saeEntries || saeEntries.Count == 0)
        {
            throw new InvalidDataException($"{trainerPath} lists no SAE.");
        }

        var saes = new SparseAutoencoder[saeEntries.Count];
        using (var state = SafeTensorsFile.Open(statePath))
        {
            for (var i = 0; i < saes.Length; i++)
            {
                var entry = saeEntries[i] as JsonObject ?? throw new InvalidDataException($"SAE {i} of {trainerPath} is not an object.");
                var d = NativeSaeLayout.ReadInt(entry, "input_dimension", trainerPath);
                var latents = NativeSaeLayout.ReadInt(entry, "latent_count", trainerPath);
                var activation = entry["activation"] as JsonObject ?? throw new InvalidDataException($"SAE {i} of {trainerPath} has no activation.");
                saes[i] = NativeSaeLayout.ReadWeights(state, ActivationRegistry.Create(activation), d, latents, $"sae{i}.");
            }
        }

        return new TrainingCheckpoint(path, trainer, saes, options, [.. skipped]);
    }

    /// <summary>Long field <paramref name="name"/> of a JSON object, at least <paramref name="minimum"/>.</summary>
    internal static long ReadLong(JsonObject node, string name, string path, long minimum = 0)
    {
        if (node[name] is not JsonValue value || !value.TryGetValue<long>(out var result))
        {
            throw new InvalidDataException($"{path} needs an integer \"{name}\".");
        }

        return result >= minimum ? result : throw new InvalidDataException($"{path} has {name} = {result}; expected at least {minimum}.");
    }

    private static ReinitializationEvent[] ReadEvents(JsonObject trainer, string path)
    {
        if (trainer["reinitializations"] is not JsonArray events)
        {
            throw new InvalidDataException($"{path} has no \"reinitializations\" array.");
        }

        return [.. events.Select(e => e is JsonObject o && o["deviation"] is JsonValue deviation && deviation.TryGetValue<double>(out var value)
            ? new ReinitializationEvent(ReadLong(o, "step", path), (int)ReadLong(o, "sae", path), value, (int)ReadLong(o, "seed", path))
            : throw new InvalidDataException($"A reinitialisation entry of {path} is malformed."))];
    }
}
