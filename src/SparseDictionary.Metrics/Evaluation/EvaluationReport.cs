using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SparseDictionary.Metrics.Evaluation;

/// <summary>The result of <see cref="SaeEvaluation.Evaluate"/>: one row per SAE, one column per metric; renders as text, Markdown or JSON.</summary>
public sealed class EvaluationReport
{
    private readonly double?[][] _values;

    internal EvaluationReport(string[] saeNames, string[] metricNames, double?[][] values, long rows)
    {
        SaeNames = saeNames;
        MetricNames = metricNames;
        _values = values;
        Rows = rows;
    }

    /// <summary>The SAEs' labels, in evaluation order.</summary>
    public IReadOnlyList<string> SaeNames { get; }

    /// <summary>The metrics' names, in column order.</summary>
    public IReadOnlyList<string> MetricNames { get; }

    /// <summary>Evaluation rows streamed per SAE.</summary>
    public long Rows { get; }

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

    /// <summary>JSON: <c>{"rows": N, "saes": [{"name": ..., "metrics": {"fvu": 0.1, "gt_mmcs": null, ...}}, ...]}</c>.</summary>
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
            }).ToArray(),
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <inheritdoc />
    public override string ToString() => ToText();

    private string[][] Cells()
    {
        var header = new[] { "sae" }.Concat(MetricNames).ToArray();
        var rows = SaeNames.Select((name, i) => new[] { name }.Concat(_values[i].Select(Format)).ToArray());
        return [header, .. rows];
    }

    private static string Format(double? value) => value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "n/a";
}
