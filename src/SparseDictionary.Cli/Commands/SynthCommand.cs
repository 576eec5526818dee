using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SparseDictionary.IO;

namespace SparseDictionary.Cli;

/// <summary><c>sdict synth</c>: writes the MFR paper's synthetic data as .npy shards, with its ground-truth features.</summary>
internal static class SynthCommand
{
    public const string ShardFolder = "shards";
    public const string FeaturesFile = "features.npy";
    public const string OptionsFile = "synth.json";

    public static Command Create(CliContext context)
    {
        var output = new Option<string>("--out", "-o") { Description = $"Folder to write: {ShardFolder}/shard-NNNNN.npy, {FeaturesFile} (ground truth, features x d) and {OptionsFile}.", Required = true };
        var rows = new Option<long>("--rows") { Description = "Samples to write.", Required = true };
        var shardRows = new Option<int>("--shard-rows") { Description = "Samples per shard (default 100,000).", DefaultValueFactory = _ => 100_000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the features and samples (default 0)." };
        var force = new Option<bool>("--force") { Description = "Replace the shards of an earlier run in the folder." };
        var synthetic = new SyntheticFlags();
        var command = new Command("synth", "Write a synthetic data set with known ground-truth features (MFR paper, section 3.1) as .npy shards.") { output, rows, shardRows, seed, force };
        synthetic.AddTo(command);
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(output)!;
            var total = parse.GetValue(rows);
            var perShard = parse.GetValue(shardRows);
            if (total < 1)
            {
                throw new CliException($"--rows must be at least 1 but is {total}.");
            }

            if (perShard < 1)
            {
                throw new CliException($"--shard-rows must be at least 1 but is {perShard}.");
            }

            var options = new SyntheticFeatureOptions { Seed = parse.GetValue(seed), Length = total };
            synthetic.Apply(parse, options);
            var source = new SyntheticFeatureSource(options);
            var shards = PrepareShardFolder(Path.Combine(folder, ShardFolder), parse.GetValue(force));
            var count = 0;
            for (long written = 0; written < total; count++)
            {
                var batch = new Matrix((int)Math.Min(perShard, total - written), source.Dimension);
                var read = source.Read(batch);
                NpyFile.Write(Path.Combine(shards, string.Create(CultureInfo.InvariantCulture, $"shard-{count:D5}.npy")), batch.SliceRows(0, read));
                written += read;
            }

            NpyFile.Write(Path.Combine(folder, FeaturesFile), source.GroundTruthFeatures);
            File.WriteAllText(Path.Combine(folder, OptionsFile), JsonSerializer.Serialize(options, ConfigFile.Json));
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {total:N0} samples (d = {source.Dimension}) in {count} shard{(count == 1 ? string.Empty : "s")} to {shards}, and {source.FeatureCount} ground-truth features to {Path.Combine(folder, FeaturesFile)}"));
            return 0;
        });
        return command;
    }

    private static string PrepareShardFolder(string shards, bool force)
    {
        if (Directory.Exists(shards) && Directory.GetFiles(shards, "*.npy") is { Length: > 0 } existing)
        {
            if (!force)
            {
                throw new CliException($"{shards} already holds {existing.Length} .npy file{(existing.Length == 1 ? string.Empty : "s")}; pass --force to replace them.");
            }

            foreach (var file in existing)
            {
                File.Delete(file);
            }
        }

        Directory.CreateDirectory(shards);
        return shards;
    }
}
