using ScottPlot;

namespace SparseDictionary.Cli;

/// <summary>Four panels from metrics.csv: total loss, and per SAE the FVU, L0 and dead-latent share, against the step.</summary>
internal static class TrainingCurvesPlot
{
    /// <summary>Writes the curves of <paramref name="rows"/>; returns the PNG's path, or null when there is nothing to plot.</summary>
    public static string? Write(string basePath, IReadOnlyList<MetricsRow> rows)
    {
        if (rows.Count == 0)
        {
            return null;
        }

        var multiplot = new Multiplot();
        multiplot.AddPlots(4);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(2, 2);
        var saes = rows.Select(r => r.Sae).Distinct().Order().ToArray();
        Panel(multiplot.GetPlot(0), "loss (all SAEs and terms)", [0], rows, r => r.Loss, legend: false);
        Panel(multiplot.GetPlot(1), "FVU", saes, rows, r => r.Fvu, saes.Length > 1);
        Panel(multiplot.GetPlot(2), "L0 (active latents per row)", saes, rows, r => r.L0, saes.Length > 1);
        Panel(multiplot.GetPlot(3), "dead-latent share", saes, rows, r => r.DeadShare, saes.Length > 1);
        return PlotFiles.Save(multiplot, basePath, 1200, 800);
    }

    private static void Panel(Plot plot, string title, int[] saes, IReadOnlyList<MetricsRow> rows, Func<MetricsRow, double> value, bool legend)
    {
        foreach (var sae in saes)
        {
            var series = rows.Where(r => r.Sae == sae).OrderBy(r => r.Step).ToArray();
            var scatter = plot.Add.Scatter(series.Select(r => (double)r.Step).ToArray(), series.Select(value).ToArray());
            scatter.MarkerSize = series.Length > 50 ? 0 : 4;
            if (legend)
            {
                scatter.LegendText = $"SAE {sae}";
            }
        }

        plot.Title(title);
        plot.XLabel("step");
        if (legend)
        {
            plot.ShowLegend();
        }
    }
}
