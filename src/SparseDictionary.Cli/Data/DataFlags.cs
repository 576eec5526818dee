using System.CommandLine;

namespace SparseDictionary.Cli;

/// <summary>The flags that choose the rows of <c>train</c> and <c>eval</c>: .npy shards, a safetensors tensor or synthetic data.</summary>
internal sealed class DataFlags
{
    public Option<string[]> Npy { get; } = PathList("--npy", ".npy files or folders of .npy shards (2-D float32/float16, same column count).");

    public Option<string> SafeTensors { get; } = new("--safetensors") { Description = "A safetensors file holding the rows as one 2-D tensor (see --tensor)." };

    public Option<string> Tensor { get; } = new("--tensor") { Description = "The tensor of --safetensors (default activations)." };

    public Option<bool> Synthetic { get; } = new("--synthetic") { Description = "Use the MFR paper's synthetic data (see --dimension, --features, ...); its ground truth comes with it." };

    public Option<bool> Shuffle { get; } = new("--shuffle") { Description = "Shuffle the rows of file sources, anew each epoch." };

    public Option<int> Seed { get; } = new("--data-seed") { Description = "Seed of the shuffling, and of the synthetic data (default 0)." };

    public SyntheticFlags SyntheticData { get; } = new();

    /// <summary>
    /// A list of paths that takes every word up to the next option the command knows, so a mistyped flag after it
    /// would be read as a path: a word that starts with '-' and names no file or folder is refused as an unknown option.
    /// </summary>
    private static Option<string[]> PathList(string name, string description)
    {
        var option = new Option<string[]>(name) { Description = description, AllowMultipleArgumentsPerToken = true };
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                var value = token.Value;
                if (value.StartsWith('-') && !File.Exists(value) && !Directory.Exists(value))
                {
                    result.AddError($"{name}: {value} is not a file or folder; if it was meant as an option, this command has no such option ({name} takes every word up to the next option it knows).");
                }
            }
        });
        return option;
    }

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Npy, SafeTensors, Tensor, Synthetic, Shuffle, Seed })
        {
            command.Options.Add(option);
        }

        SyntheticData.AddTo(command);
    }

    /// <summary>Applies the flags that were given to <paramref name="data"/>; a file flag replaces the config's data source.</summary>
    public void Apply(ParseResult parse, DataConfig data)
    {
        if (parse.Given(Npy) || parse.Given(SafeTensors) || parse.Given(Synthetic))
        {
            data.Npy = parse.Given(Npy) ? [.. parse.GetValue(Npy)!] : null;
            data.Safetensors = parse.GetValue(SafeTensors);
            data.Synthetic = parse.GetValue(Synthetic) ? data.Synthetic ?? new SyntheticFeatureOptions() : null;
            if (CountSources(parse) > 1)
            {
                throw new CliException("Give one data source: --npy, --safetensors or --synthetic.");
            }
        }

        parse.IfGiven(Tensor, v => data.Tensor = v);
        parse.IfGiven(Shuffle, v => data.Shuffle = v);
        parse.IfGiven(Seed, v =>
        {
            data.Seed = v;
            if (data.Synthetic is { } synthetic)
            {
                synthetic.Seed = v;
            }
        });
        if (SyntheticData.AnyGiven(parse))
        {
            if (data.Synthetic is null)
            {
                throw new CliException("--dimension, --features, --groups, --active, --decay, --mode and --chunk-size describe synthetic data; add --synthetic.");
            }

            SyntheticData.Apply(parse, data.Synthetic);
        }
    }

    private int CountSources(ParseResult parse) =>
        (parse.Given(Npy) ? 1 : 0) + (parse.Given(SafeTensors) ? 1 : 0) + (parse.GetValue(Synthetic) ? 1 : 0);
}
