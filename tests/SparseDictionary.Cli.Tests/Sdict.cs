using SparseDictionary.IO;

namespace SparseDictionary.Cli.Tests;

/// <summary>Runs sdict in process with captured output.</summary>
internal static class Sdict
{
    public static CliRun Run(params string[] args) => Run(default, null, args);

    public static CliRun Run(CancellationToken cancellation, Action<TrainingProgress>? observer, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = SdictApp.Run(args, CliContext.Plain(output, error, cancellation, observer));
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    /// <summary>Writes <paramref name="rows"/> synthetic rows of width <paramref name="dimension"/> as one .npy file and returns them.</summary>
    public static Matrix WriteData(string path, int rows, int dimension = 16, int seed = 0)
    {
        var source = new SyntheticFeatureSource(Synthetic(dimension, seed));
        var data = new Matrix(rows, dimension);
        source.Read(data);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        NpyFile.Write(path, data);
        return data;
    }

    /// <summary>Small synthetic data: d features in 4 groups of 8 (32 features), 3 active.</summary>
    public static SyntheticFeatureOptions Synthetic(int dimension = 16, int seed = 0) =>
        new() { InputDimension = dimension, FeatureCount = 32, GroupCount = 4, ActiveFeatures = 3, Seed = seed };

    /// <summary>The flags of <see cref="Synthetic"/>.</summary>
    public static string[] SyntheticFlags(int dimension = 16) =>
        ["--synthetic", "--dimension", $"{dimension}", "--features", "32", "--groups", "4", "--active", "3"];
}

/// <summary>The exit code and output of one run.</summary>
internal sealed record CliRun(int Exit, string Out, string Error)
{
    /// <summary>Asserts a failure with exactly one error line containing <paramref name="fragment"/> and no stack trace.</summary>
    public void ShouldFailWith(string fragment)
    {
        Exit.Should().Be(1, Out + Error);
        var lines = Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Where(l => l.StartsWith("sdict: error:", StringComparison.Ordinal)).Should().ContainSingle(Error);
        Error.Should().Contain(fragment);
        Error.Should().NotContain("   at ");
        Error.Should().NotContain("Exception");
    }
}
