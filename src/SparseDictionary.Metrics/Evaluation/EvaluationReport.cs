using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SparseDictionary.Metrics;

/// <summary>The result of <see cref="SaeEvaluation.Evaluate"/>: one row per SAE, one column per metric; renders as text, Markdown or JSON.</summary>
/// <remarks>
/// Each cell is in one of three states: a value; not applicable (the metric returned null, e.g. no ground truth was
/// given), shown as <c>n/a</c>; or not available (the metric threw, or returned NaN or an infinity), stored as NaN
/// with the reason (<see cref="Reason"/>), shown as <c>n/a (reason)</c>. A metric that cannot be computed for one SAE
/// never hides the other cells.
/// </remarks>
public sealed class EvaluationReport
{
    private readonly double?[][] _values;
    private readonly string?[][] _reasons;

    internal EvaluationReport(string[] saeNames, string[] metricNames, double?[][] values, string?[][] reasons, ReconstructionReport[] reconstructions)
    {
        SaeNames = saeNames;
        MetricNames = metricNames;
        _values = values;
        _reasons = reasons;
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

    /// <summary>
    /// The value of metric <paramref name="metric"/> for SAE <paramref name="sae"/>: null when it did not apply, NaN
    /// when it could not be computed (<see cref="Reason"/> says why).
    /// </summary>
    /// <param name="sae">The SAE's index.</param>
    /// <param name="metric">The metric's name.</param>
    /// <exception cref="KeyNotFoundException">No metric has that name.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sae"/> is not the index of an evaluated SAE.</exception>
    public double? this[int sae, string metric] => _values[CheckSae(sae)][Column(metric)];

    /// <summary>
    /// Why metric <paramref name="metric"/> has no value for SAE <paramref name="sae"/>: the message of the exception it
    /// threw, or what it returned instead of a finite number; null when it has a value or did not apply.
    /// </summary>
    /// <param name="sae">The SAE's index.</param>
    /// <param name="metric">The metric's name.</param>
    /// <returns>The reason, or null.</returns>
    /// <exception cref="KeyNotFoundException">No metric has that name.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sae"/> is not the index of an evaluated SAE.</exception>
    public string? Reason(int sae, string metric) => _reasons[CheckSae(sae)][Column(metric)];

    /// <summary>A plain-text table with aligned columns (n/a where a metric did not apply, n/a (reason) where it could not be computed).</summary>
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

    /// <summary>A Markdown table (cells as in <see cref="ToText"/>).</summary>
    /// <returns>The table.</returns>
    public string ToMarkdown()
    {
        var cells = Cells(markdown: true);
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
    /// "unavailable": {"cross_gt_corr": "reason", ...}, "firing_histogram": {"log10_edges": [...], "counts": [...],
    /// "never_fired": n}}, ...]}</c>. A metric without a value is null in <c>metrics</c>; when it could not be
    /// computed, <c>unavailable</c> (present only then) gives the reason.
    /// </summary>
    /// <returns>Indented JSON.</returns>
    public string ToJson()
    {
        var document = new Dictionary<string, object>
        {
            ["rows"] = Rows,
            ["saes"] = SaeNames.Select((name, i) =>
            {
                var sae = new Dictionary<string, object>
                {
                    ["name"] = name,
                    ["metrics"] = MetricNames.Select((metric, c) => (metric, value: _values[i][c])).ToDictionary(p => p.metric, p => p.value is { } v && double.IsFinite(v) ? (object?)v : null),
                };
                var unavailable = MetricNames.Select((metric, c) => (metric, reason: _reasons[i][c])).Where(p => p.reason is not null).ToDictionary(p => p.metric, p => p.reason!);
                if (unavailable.Count > 0)
                {
                    sae["unavailable"] = unavailable;
                }

                sae["firing_histogram"] = Histogram(i);
                return sae;
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

    private int Column(string metric)
    {
        var column = MetricNames.ToList().IndexOf(metric);
        return column >= 0 ? column : throw new KeyNotFoundException($"No metric named '{metric}'; the report has: {string.Join(", ", MetricNames)}.");
    }

    private int CheckSae(int sae) =>
        (uint)sae < (uint)SaeNames.Count ? sae : throw new ArgumentOutOfRangeException(nameof(sae), sae, $"Expected an SAE index in [0, {SaeNames.Count}).");

    private string[][] Cells(bool markdown = false)
    {
        var header = new[] { "sae" }.Concat(MetricNames).ToArray();
        var rows = SaeNames.Select((name, i) => new[] { name }.Concat(_values[i].Select((value, c) => Format(value, _reasons[i][c], markdown))).ToArray());
        return [header, .. rows];
    }

    private static string Format(double? value, string? reason, bool markdown)
    {
        if (reason is not null)
        {
            // One line; in Markdown a '|' would end the cell.
            var text = string.Join(' ', reason.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
            return $"n/a ({(markdown ? text.Replace("|", "\\|", StringComparison.Ordinal) : text)})";
        }

        return value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "n/a";
    }
}
