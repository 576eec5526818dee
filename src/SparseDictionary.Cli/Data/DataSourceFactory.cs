using System.Globalization;

namespace SparseDictionary.Cli;

/// <summary>Opens the source a <see cref="DataConfig"/> describes.</summary>
internal static class DataSourceFactory
{
    /// <summary>Opens the data.</summary>
    /// <param name="data">The config; exactly one of npy, safetensors and synthetic must be set.</param>
    /// <param name="loop">Loop over epochs (training) or read one pass (evaluation).</param>
    /// <param name="syntheticRows">Length of a synthetic stream when <paramref name="loop"/> is false.</param>
    /// <exception cref="CliException">No source or several, or a path that does not exist.</exception>
    public static OpenedData Open(DataConfig data, bool loop, long? syntheticRows = null)
    {
        var count = (data.Npy is { Count: > 0 } ? 1 : 0) + (data.Safetensors is null ? 0 : 1) + (data.Synthetic is null ? 0 : 1);
        if (count == 0)
        {
            throw new CliException("No data: give --npy, --safetensors or --synthetic (or data.npy, data.safetensors or data.synthetic in the config).");
        }

        if (count > 1)
        {
            throw new CliException("Give one data source: --npy, --safetensors or --synthetic (data.npy, data.safetensors or data.synthetic).");
        }

        if (data.Synthetic is { } synthetic)
        {
            var options = Copy(synthetic);
            options.Length = loop ? null : syntheticRows;
            var source = new SyntheticFeatureSource(options);
            var description = string.Create(CultureInfo.InvariantCulture, $"synthetic data (d = {source.Dimension}, {source.FeatureCount} features in {source.GroupCount} groups, {EnumNames<SyntheticActiveSetMode>.Name(source.ActiveSetMode)}, K = {source.ActiveFeatures}, seed {source.Seed})");
            return new OpenedData(source, description, source.GroundTruthFeatures, "the synthetic data");
        }

        if (data.Safetensors is { } file)
        {
            RequireFile(file, "--safetensors / data.safetensors");
            var source = new SafeTensorsActivationSource(file, data.Tensor, data.Shuffle, loop, data.Seed);
            return new OpenedData(source, string.Create(CultureInfo.InvariantCulture, $"{file} tensor '{data.Tensor}' ({source.RowCount:N0} rows x {source.Dimension})"), null, file);
        }

        var shards = ExpandShards(data.Npy!);
        var npy = new NpyActivationSource(shards, data.Shuffle, loop, data.Seed);
        var label = data.Npy!.Count == 1 ? data.Npy[0] : $"{data.Npy[0]} (and {data.Npy.Count - 1} more)";
        return new OpenedData(npy, string.Create(CultureInfo.InvariantCulture, $"{shards.Count} .npy shard{(shards.Count == 1 ? string.Empty : "s")} from {label} ({npy.RowCount:N0} rows x {npy.Dimension})"), null, label);
    }

    /// <summary>Each path as a file, or a folder's *.npy files sorted by name.</summary>
    public static List<string> ExpandShards(IEnumerable<string> paths)
    {
        var shards = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var files = Directory.GetFiles(path, "*.npy").Order(StringComparer.Ordinal).ToArray();
                if (files.Length == 0)
                {
                    throw new CliException($"The folder {path} (--npy / data.npy) holds no .npy file.");
                }

                shards.AddRange(files);
            }
            else
            {
                RequireFile(path, "--npy / data.npy");
                shards.Add(path);
            }
        }

        return shards;
    }

    /// <summary>Throws a <see cref="CliException"/> naming <paramref name="label"/> when <paramref name="path"/> is not a file.</summary>
    public static void RequireFile(string path, string label)
    {
        if (!File.Exists(path))
        {
            throw new CliException(Directory.Exists(path) ? $"{path} ({label}) is a folder; expected a file." : $"The file {path} ({label}) does not exist.");
        }
    }

    private static SyntheticFeatureOptions Copy(SyntheticFeatureOptions o) => new()
    {
        InputDimension = o.InputDimension,
        FeatureCount = o.FeatureCount,
        GroupCount = o.GroupCount,
        ActiveFeatures = o.ActiveFeatures,
        Decay = o.Decay,
        Seed = o.Seed,
        Length = o.Length,
        ActiveSetMode = o.ActiveSetMode,
        ChunkSize = o.ChunkSize,
    };
}
