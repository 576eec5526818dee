using System.Globalization;
using ScottPlot;
using SparseDictionary.Metrics;

namespace SparseDictionary.Cli;

/// <summary>Histogram of the latents' firing frequencies on a log scale, with the never-firing latents as their own bar.</summary>
internal static class FiringFrequencyPlot
{
    /// <summary>Writes the plot of one SAE's per-latent firing frequencies; returns the PNG's path.</summary>
    public static string Write(string basePath, string name, IReadOnlyList<double> frequencies)
    {
        var histogram = SparsityMetrics.FiringHistogram([.. frequencies]);
        var edges = histogram.BinEdges;
        var width = edges[1] - edges[0];
        var plot = new Plot();
        var bars = histogram.Counts.Select((count, i) => new Bar
        {
            Position = (edges[i] + edges[i + 1]) / 2,
            Value = count,
            Size = width * 0.95,
            FillColor = Colors.SteelBlue,
            LineWidth = 0,
        }).ToList();
        var neverPosition = edges[0] - (1.5 * width);
        bars.Add(new Bar { Position = neverPosition, Value = histogram.NeverFired, Size = width * 0.95, FillColor = Colors.OrangeRed, LineWidth = 0 });
        plot.Add.Bars(bars);

        var ticks = new ScottPlot.TickGenerators.NumericManual();
        ticks.AddMajor(neverPosition, "never");
        for (var e = (int)Math.Ceiling(edges[0]); e <= (int)Math.Floor(edges[^1]); e++)
        {
            ticks.AddMajor(e, e == 0 ? "1" : string.Create(CultureInfo.InvariantCulture, $"1e{e}"));
        }

        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Margins(bottom: 0);
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Firing frequency: {name} ({histogram.NeverFired} of {frequencies.Count} latents never fired)"));
        plot.XLabel("share of rows on which the latent fires (log scale)");
        plot.YLabel("latents");
        return PlotFiles.Save(plot, basePath, 800, 500);
    }
}
