using System.CommandLine;

namespace SparseDictionary.Cli;

/// <summary>The flags of the synthetic data generator, shared by <c>synth</c>, <c>train</c> and <c>eval</c>.</summary>
internal sealed class SyntheticFlags
{
    public Option<int> Dimension { get; } = new("--dimension") { Description = "Synthetic data: input dimension d (default 256)." };

    public Option<int> Features { get; } = new("--features") { Description = "Synthetic data: ground-truth features G (default 512)." };

    public Option<int> Groups { get; } = new("--groups") { Description = "Synthetic data: feature groups E (default 12)." };

    public Option<int> Active { get; } = new("--active") { Description = "Synthetic data: active features K per group drawn (default 36)." };

    public Option<double> Decay { get; } = new("--decay") { Description = "Synthetic data: within-group decay lambda of the feature probabilities (default 0.99)." };

    public Option<string> Mode { get; } = ParseResultExtensions.EnumOption<SyntheticActiveSetMode>("--mode", "Synthetic data: how active features are chosen (default one-group).");

    public Option<long> ChunkSize { get; } = new("--chunk-size") { Description = "Synthetic data, mode shared-within-chunk: samples per chunk (default 1,000,000)." };

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Dimension, Features, Groups, Active, Decay, Mode, ChunkSize })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Whether any of the flags was given.</summary>
    public bool AnyGiven(ParseResult parse) => new Option[] { Dimension, Features, Groups, Active, Decay, Mode, ChunkSize }.Any(parse.Given);

    /// <summary>Applies the flags that were given to <paramref name="options"/>.</summary>
    public void Apply(ParseResult parse, SyntheticFeatureOptions options)
    {
        parse.IfGiven(Dimension, v => options.InputDimension = v);
        parse.IfGiven(Features, v => options.FeatureCount = v);
        parse.IfGiven(Groups, v => options.GroupCount = v);
        parse.IfGiven(Active, v => options.ActiveFeatures = v);
        parse.IfGiven(Decay, v => options.Decay = v);
        parse.IfGiven(Mode, v => options.ActiveSetMode = EnumNames<SyntheticActiveSetMode>.Parse(v, "--mode"));
        parse.IfGiven(ChunkSize, v => options.ChunkSize = v);
    }
}
