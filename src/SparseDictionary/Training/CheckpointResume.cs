using System.Text.Json.Nodes;
using SparseDictionary.IO;
using SparseDictionary.Regularization;

namespace SparseDictionary;

/// <summary>Checks that a trainer can continue a checkpoint's run, and puts a fresh run and its source at the checkpoint.</summary>
internal static class CheckpointResume
{
    /// <summary>Throws unless the options (but those a resumed run may change), regularizers and noiser match the checkpoint's run.</summary>
    public static void CheckCompatible(TrainingCheckpoint checkpoint, SaeTrainerOptions options, IRegularizer[] regularizers, INoiser? noiser)
    {
        var mine = CheckpointStore.OptionsNode(options, comparable: true);
        var theirs = CheckpointStore.OptionsNode(checkpoint.Options, comparable: true);
        var differences = mine.Select(p => p.Key)
            .Union(theirs.Select(p => p.Key))
            .Where(key => !JsonNode.DeepEquals(mine[key], theirs[key]))
            .Select(key => $"{key} is {Text(mine[key])} but the checkpoint's run used {Text(theirs[key])}")
            .ToArray();
        if (differences.Length > 0)
        {
            throw new ArgumentException(
                $"The trainer's options differ from those of the run in {checkpoint.Path}: {string.Join("; ", differences)}. A resumed run must use the same options (only {string.Join(" and ", CheckpointStore.ResumableOptionChanges)} may change).",
                nameof(options));
        }

        var names = (checkpoint.Trainer["regularizers"] as JsonArray ?? [])
            .Select(r => r?["name"]?.GetValue<string>() ?? "?")
            .ToArray();
        var given = regularizers.Select(r => r.Name).ToArray();
        if (!names.SequenceEqual(given, StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"The run in {checkpoint.Path} had regularizers [{string.Join(", ", names)}] but this trainer has [{string.Join(", ", given)}]; pass the same ones in the same order.",
                nameof(regularizers));
        }

        var noiserName = checkpoint.Trainer["noiser"]?["name"]?.GetValue<string>();
        if (noiserName != noiser?.Name)
        {
            throw new ArgumentException(
                $"The run in {checkpoint.Path} had noiser {noiserName ?? "(none)"} but this trainer has {noiser?.Name ?? "(none)"}.", nameof(noiser));
        }
    }

    /// <summary>Restores the SAEs' weights, optimizer and firing state, the step position and the parts' states.</summary>
    public static void Restore(TrainingCheckpoint checkpoint, TrainingRun run, IRegularizer[] regularizers, INoiser? noiser)
    {
        var statePath = Path.Combine(checkpoint.Path, CheckpointStore.StateFile);
        var trainerPath = Path.Combine(checkpoint.Path, CheckpointStore.TrainerFile);
        var entries = checkpoint.Trainer["saes"]!.AsArray();
        using (var state = SafeTensorsFile.Open(statePath))
        {
            for (var i = 0; i < run.States.Length; i++)
            {
                var prefix = $"sae{i}.";
                var sae = run.States[i].Model;
                // The weights again, so that resuming the same checkpoint twice starts from the same weights.
                state.ReadSingle(prefix + NativeSaeLayout.EncoderWeight, sae.EncoderWeightsBuffer.Span);
                state.ReadSingle(prefix + NativeSaeLayout.EncoderBias, sae.EncoderBiasBuffer.Span);
                state.ReadSingle(prefix + NativeSaeLayout.DecoderWeight, sae.DecoderWeightsBuffer.Span);
                state.ReadSingle(prefix + NativeSaeLayout.DecoderBias, sae.DecoderBiasBuffer.Span);
                var entry = entries[i]!.AsObject();
                run.States[i].ReadState(
                    state,
                    prefix,
                    TrainingCheckpoint.ReadLong(entry, "optimizer_steps", trainerPath),
                    (int)TrainingCheckpoint.ReadLong(entry, "reinitialization_count", trainerPath));
            }
        }

        var parts = checkpoint.Trainer["regularizers"]!.AsArray();
        for (var i = 0; i < regularizers.Length; i++)
        {
            RestorePart(regularizers[i], parts[i]?["state"], regularizers[i].Name, trainerPath);
        }

        if (noiser is not null)
        {
            RestorePart(noiser, checkpoint.Trainer["noiser"]?["state"], noiser.Name, trainerPath);
        }

        run.RestorePosition(checkpoint.Step, checkpoint.Tokens, checkpoint.Reinitializations);
    }

    /// <summary>Resets <paramref name="source"/> and moves it to <paramref name="position"/> rows.</summary>
    public static void PositionSource(IActivationSource source, long position, int batchSize)
    {
        source.Reset();
        if (source is ISeekableActivationSource seekable)
        {
            seekable.Seek(position);
            return;
        }

        var scratch = new Matrix(Math.Max(1, (int)Math.Min(batchSize, position)), source.Dimension);
        var skipped = 0L;
        while (skipped < position)
        {
            var rows = (int)Math.Min(scratch.Rows, position - skipped);
            var view = rows == scratch.Rows ? scratch : scratch.SliceRows(0, rows);
            var read = source.Read(view);
            if (read == 0)
            {
                throw new ArgumentException($"The source ended after {skipped} rows but the checkpoint was taken after {position}; resume with the same data.", nameof(source));
            }

            skipped += read;
        }
    }

    private static void RestorePart(object part, JsonNode? state, string name, string path)
    {
        if (part is ICheckpointable checkpointable)
        {
            if (state is not JsonObject saved)
            {
                throw new InvalidDataException($"{path} holds no state for {name}, which keeps state between steps.");
            }

            checkpointable.RestoreState(saved);
        }
    }

    private static string Text(JsonNode? node) => node?.ToJsonString() ?? "null";
}
