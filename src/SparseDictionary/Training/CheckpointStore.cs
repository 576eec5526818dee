using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SparseDictionary.IO;
using SparseDictionary.Regularization;

namespace SparseDictionary;

/// <summary>
/// Writes, lists and prunes the checkpoint folders of a run (<see cref="TrainingCheckpoint"/> reads them). A checkpoint
/// is written into a temporary folder, each file flushed to the disk, and the folder renamed into place.
/// </summary>
internal static class CheckpointStore
{
    public const string FolderPrefix = "step-";
    public const string TrainerFile = "trainer.json";
    public const string StateFile = "state.safetensors";
    public const string FormatName = "sparse-dictionary-checkpoint";
    public const int FormatVersion = 1;

    /// <summary>Options that may differ between the interrupted and the resumed run (they change nothing the run computes).</summary>
    public static readonly string[] ResumableOptionChanges = [nameof(SaeTrainerOptions.Checkpoints), nameof(SaeTrainerOptions.ProgressIntervalSteps)];

    public static readonly JsonSerializerOptions OptionsJson = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The folder name of the checkpoint after <paramref name="step"/> steps.</summary>
    public static string FolderName(long step) => FolderPrefix + step.ToString("D10", CultureInfo.InvariantCulture);

    /// <summary>Checkpoint folders of <paramref name="directory"/> with their steps, newest first (temporary folders excluded).</summary>
    public static List<(string Path, long Step)> List(string directory)
    {
        var found = new List<(string Path, long Step)>();
        if (!Directory.Exists(directory))
        {
            return found;
        }

        foreach (var folder in Directory.EnumerateDirectories(directory, FolderPrefix + "*"))
        {
            var name = Path.GetFileName(folder);
            if (long.TryParse(name.AsSpan(FolderPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var step))
            {
                found.Add((folder, step));
            }
        }

        found.Sort((a, b) => b.Step.CompareTo(a.Step));
        return found;
    }

    /// <summary>Writes the checkpoint of <paramref name="run"/>'s last completed step and prunes old ones; returns its folder.</summary>
    /// <exception cref="IOException">A file cannot be written; the message names it. Training state is unchanged.</exception>
    public static string Write(TrainingRun run, SaeTrainerOptions options, IRegularizer[] regularizers, INoiser? noiser)
    {
        var settings = options.Checkpoints!;
        var directory = Path.GetFullPath(settings.Directory);
        Directory.CreateDirectory(directory);
        var target = Path.Combine(directory, FolderName(run.StepsDone));
        var temporary = Path.Combine(directory, $".{FolderName(run.StepsDone)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(temporary);
            var statePath = Path.Combine(temporary, StateFile);
            var state = new SafeTensorsWriter().SetMetadata("format", FormatName);
            for (var i = 0; i < run.States.Length; i++)
            {
                var prefix = $"sae{i}.";
                var sae = run.States[i].Model;
                long d = sae.InputDimension;
                long h = sae.LatentCount;
                state.Add(prefix + NativeSaeLayout.EncoderWeight, sae.EncoderWeightsBuffer.Span, [h, d])
                    .Add(prefix + NativeSaeLayout.EncoderBias, sae.EncoderBiasBuffer.Span, [h])
                    .Add(prefix + NativeSaeLayout.DecoderWeight, sae.DecoderWeightsBuffer.Span, [h, d])
                    .Add(prefix + NativeSaeLayout.DecoderBias, sae.DecoderBiasBuffer.Span, [d]);
                run.States[i].WriteState(state, prefix);
            }

            state.Save(statePath);
            var trainer = Describe(run, options, regularizers, noiser, Sha256(statePath));
            NativeSaeLayout.WriteJson(Path.Combine(temporary, TrainerFile), trainer);
            if (Directory.Exists(target))
            {
                Directory.Delete(target, recursive: true);
            }

            Directory.Move(temporary, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDeleteFolder(temporary);
            throw new IOException($"Cannot write the checkpoint {target}: {e.Message}", e);
        }

        Prune(directory, settings.Keep);
        return target;
    }

    /// <summary>The SHA-256 of a file, as lower-case hex.</summary>
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The options as JSON, without the ones a resumed run may change.</summary>
    public static JsonObject OptionsNode(SaeTrainerOptions options, bool comparable)
    {
        var node = JsonSerializer.SerializeToNode(options, OptionsJson)!.AsObject();
        node.Remove(nameof(SaeTrainerOptions.Steps));
        if (comparable)
        {
            foreach (var name in ResumableOptionChanges)
            {
                node.Remove(name);
            }
        }

        return node;
    }

    private static JsonObject Describe(TrainingRun run, SaeTrainerOptions options, IRegularizer[] regularizers, INoiser? noiser, string stateHash)
    {
        var saes = new JsonArray();
        foreach (var state in run.States)
        {
            saes.Add(new JsonObject
            {
                ["input_dimension"] = state.Model.InputDimension,
                ["latent_count"] = state.Model.LatentCount,
                ["activation"] = ActivationRegistry.Describe(state.Model.Activation),
                ["optimizer_steps"] = state.OptimizerSteps,
                ["reinitialization_count"] = state.ReinitializationCount,
            });
        }

        var parts = new JsonArray();
        foreach (var regularizer in regularizers)
        {
            parts.Add(new JsonObject { ["name"] = regularizer.Name, ["state"] = (regularizer as ICheckpointable)?.CaptureState() });
        }

        var events = new JsonArray();
        foreach (var e in run.Reinitializations)
        {
            events.Add(new JsonObject { ["step"] = e.Step, ["sae"] = e.SaeIndex, ["deviation"] = e.Deviation, ["seed"] = e.Seed });
        }

        return new JsonObject
        {
            ["format"] = FormatName,
            ["format_version"] = FormatVersion,
            ["library_version"] = NativeSaeLayout.LibraryVersion,
            ["step"] = run.StepsDone,
            ["tokens"] = run.Tokens,
            ["total_steps"] = run.TotalSteps,
            ["options"] = OptionsNode(options, comparable: false),
            ["saes"] = saes,
            ["regularizers"] = parts,
            ["noiser"] = noiser is null ? null : new JsonObject { ["name"] = noiser.Name, ["state"] = (noiser as ICheckpointable)?.CaptureState() },
            ["reinitializations"] = events,
            ["state_file"] = StateFile,
            ["state_sha256"] = stateHash,
        };
    }

    private static void Prune(string directory, int keep)
    {
        foreach (var (path, _) in List(directory).Skip(keep))
        {
            TryDeleteFolder(path);
        }
    }

    private static void TryDeleteFolder(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
