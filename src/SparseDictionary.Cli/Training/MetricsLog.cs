using System.Globalization;

namespace SparseDictionary.Cli;

/// <summary>
/// The training curves as CSV (<c>metrics.csv</c> next to the model): one row per SAE per progress report, with
/// columns step, tokens, tokens_per_second, learning_rate, loss, sae, reconstruction_loss, fvu, l0, dead_share,
/// inactivity_deviation, denoising_loss, reinitializations, then one column per regularizer term (reg_AuxK, reg_MFR).
/// </summary>
internal sealed class MetricsLog : IDisposable
{
    private static readonly string[] FixedColumns =
        ["step", "tokens", "tokens_per_second", "learning_rate", "loss", "sae", "reconstruction_loss", "fvu", "l0", "dead_share", "inactivity_deviation", "denoising_loss", "reinitializations"];

    private readonly StreamWriter _writer;
    private readonly string[] _regularizers;

    private MetricsLog(StreamWriter writer, string[] regularizers)
    {
        _writer = writer;
        _regularizers = regularizers;
    }

    /// <summary>Starts a new log at <paramref name="path"/>, or continues one after step <paramref name="resumeStep"/> (later rows are dropped).</summary>
    public static MetricsLog Open(string path, IEnumerable<string> regularizerNames, long? resumeStep)
    {
        var regularizers = regularizerNames.ToArray();
        var header = string.Join(',', FixedColumns.Concat(regularizers.Select(r => "reg_" + r)));
        var kept = new List<string>();
        if (resumeStep is { } step && File.Exists(path))
        {
            var lines = File.ReadAllLines(path);
            if (lines.Length > 0 && lines[0] == header)
            {
                kept.AddRange(lines.Skip(1).Where(l => long.TryParse(l.Split(',')[0], CultureInfo.InvariantCulture, out var s) && s <= step));
            }
        }

        var writer = new StreamWriter(path, append: false);
        writer.WriteLine(header);
        foreach (var line in kept)
        {
            writer.WriteLine(line);
        }

        writer.Flush();
        return new MetricsLog(writer, regularizers);
    }

    /// <summary>Appends the rows of one report and flushes them.</summary>
    public void Append(TrainingProgress progress)
    {
        var regularizers = _regularizers.Select(r => progress.RegularizerLosses.TryGetValue(r, out var v) ? Number(v) : string.Empty);
        for (var i = 0; i < progress.Saes.Count; i++)
        {
            var s = progress.Saes[i];
            var cells = new[]
            {
                progress.Step.ToString(CultureInfo.InvariantCulture), progress.Tokens.ToString(CultureInfo.InvariantCulture), Number(progress.TokensPerSecond),
                Number(progress.LearningRate), Number(progress.Loss), i.ToString(CultureInfo.InvariantCulture), Number(s.ReconstructionLoss),
                Number(s.FractionOfVarianceUnexplained), Number(s.MeanL0), Number(s.DeadLatentFraction), Number(s.InactivityDeviation),
                s.DenoisingLoss is { } d ? Number(d) : string.Empty, s.Reinitializations.ToString(CultureInfo.InvariantCulture),
            };
            _writer.WriteLine(string.Join(',', cells.Concat(regularizers)));
        }

        _writer.Flush();
    }

    public void Dispose() => _writer.Dispose();

    /// <summary>Reads the columns step, loss, sae, fvu, l0 and dead_share of a log.</summary>
    public static IReadOnlyList<MetricsRow> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0)
        {
            return [];
        }

        var header = lines[0].Split(',');
        int Column(string name) => Array.IndexOf(header, name) is var c and >= 0 ? c : throw new InvalidDataException($"{path} has no column '{name}'.");
        var (step, loss, sae, fvu, l0, dead) = (Column("step"), Column("loss"), Column("sae"), Column("fvu"), Column("l0"), Column("dead_share"));
        return [.. lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).Select(c => new MetricsRow(
            long.Parse(c[step], CultureInfo.InvariantCulture), int.Parse(c[sae], CultureInfo.InvariantCulture), Parse(c[loss]), Parse(c[fvu]), Parse(c[l0]), Parse(c[dead])))];
    }

    private static double Parse(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private static string Number(double value) => value.ToString("G7", CultureInfo.InvariantCulture);
}

/// <summary>One SAE's figures at one step of a <see cref="MetricsLog"/>.</summary>
internal sealed record MetricsRow(long Step, int Sae, double Loss, double Fvu, double L0, double DeadShare);
