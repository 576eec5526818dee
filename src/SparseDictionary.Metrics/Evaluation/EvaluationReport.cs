using System.Globalization;
using System.Text;
using System.Text.Json;
using SparseDictionary.Metrics.Reconstruction;

namespace SparseDictionary.Metrics.Evaluation;

/// <summary>The result of <see cref="SaeEvaluation.Evaluate"/>: one row per SAE, one column per metric; renders as text, Markdown or JSON.</summary>
public sealed class EvaluationReport
{
    private readonly double?[][] _values;

    internal EvaluationReport(string[] saeNames, string[] metricNames, double?[][] values, ReconstructionReport[] reconstructions)
    {
        SaeNames = saeNames;
        MetricNames = metricNames;
        _values = values;
        Reconstructions = reconstructions;
        Rows = reconstructions[0].Rows;
    }

    /// <summary>The SAEs' labels, in evaluation order.</summary>
    public IReadOnlyList<string> SaeNames { get; }

    /// <summary>The metrics' names, in column order.</summary>
    public IReadOnlyList<string> MetricNames { get; }

    /// <summary>Evaluation rows streamed per SAE.</summary>
    public long Rows { get; }

    /// <summary>Each SAE's streamed reconstruction figures, including per-latent firing frequencies.</summary>
    public IReadOnlyList<ReconstructionReport> Reconstructions { get; }

    /// <summary>The histogram of log10 firing frequency of SAE <paramref name="sae"/> (20 bins over [1e-8, 1]).</summary>
    /// <param name="sae">The SAE's index.</param>
    /// <returns>The histogram.</returns>
    public FiringHistogram FiringHistogram(int sae) => SparsityMetrics.FiringHistogram([.. Reconstructions[sae].FiringFrequencies]);

    /// <summary>The value of metric <paramref name="metric"/> for SAE <paramref name="sae"/> (null when it did not apply).</summary>
    /// <param name="sae">The SAE's index.</param>
    /// <param name="metric">The metric's name.</param>
    /// <exception cref="KeyNotFoundException">No metric has that name.</exception>
    public double? this[int sae, string metric]
    {
        get
        {
            var column = MetricNames.ToList().IndexOf(metric);
            if (column < 0)
            {
                throw new KeyNotFoundException($"No metric named '{metric}'; the report has: {string.Join(", ", MetricNames)}.");
            }

            return _values[sae][column];
        }
    }

    /// <summary>A plain-text table with aligned columns (n/a where a metric did not apply).</summary>
    /// <returns>The table.</returns>
    public string ToText()
    {
        var cells = Cells();
        var widths = Enumerable.Range(0, cells[0].Length).Select(c => cells.Max(r => r[c].Length)).ToArray();
        var builder = new StringBuilder();
        for (var r = 0; r < cells.Length; r++)
        {
            builder.AppendJoin("  ", cells[r].Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).Append('\n');
            if (r == 0)
            {
                builder.AppendJoin("  ", widths.Select(w => new string('-', w))).Append('\n');
            }
        }

        return builder.ToString();
    }

    /// <summary>A Markdown table.</summary>
    /// <returns>The table.</returns>
    public string ToMarkdown()
    {
        var cells = Cells();
        var builder = new StringBuilder();
        builder.Append("| ").AppendJoin(" | ", cells[0]).Append(" |\n");
        builder.Append("|---").Append(string.Concat(Enumerable.Repeat("|---:", cells[0].Length - 1))).Append("|\n");
        foreach (var row in cells.Skip(1))
        {
            builder.Append("| ").AppendJoin(" | ", row).Append(" |\n");
        }

        return builder.ToString();
    }

    /// <summary>
    /// JSON: <c>{"rows": N, "saes": [{"name": ..., "metrics": {"fvu": 0.1, "gt_mmcs": null, ...},
    /// "firing_histogram": {"log10_edges": [...], "counts": [...], "never_fired": n}}, ...]}</c>.
    /// </summary>
    /// <returns>Indented JSON.</returns>
    public string ToJson()
    {
        var document = new Dictionary<string, object>
        {
            ["rows"] = Rows,
            ["saes"] = SaeNames.Select((name, i) => new Dictionary<string, object>
            {
                ["name"] = name,
                ["metrics"] = MetricNames.Select((metric, c) => (metric, value: _values[i][c])).ToDictionary(p => p.metric, p => p.value is { } v && double.IsFinite(v) ? (object?)v : null),
                ["firing_histogram"] = Histogram(i),
            }).ToArray(),
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <inheritdoc />
    public override string ToString() => ToText();

    private Dictionary<string, object> Histogram(int sae)
    {
        var histogram = FiringHistogram(sae);
        return new Dictionary<string, object>
        {
            ["log10_edges"] = histogram.BinEdges,
            ["counts"] = histogram.Counts,
            ["never_fired"] = histogram.NeverFired,
        };
    }

    private string[][] Cells()
    {
        var header = new[] { "sae" }.Concat(MetricNames).ToArray();
        var rows = SaeNames.Select((name, i) => new[] { name }.Concat(_values[i].Select(Format)).ToArray());
        return [header, .. rows];
    }

    private static string Format(double? value) => value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "n/a";
}
