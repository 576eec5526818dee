using ScottPlot;
using SparseDictionary.Metrics;

namespace SparseDictionary.Cli;

/// <summary>
/// The MFR paper's figures 2-5 (seed 001): each latent of each SAE as a point, x its best cosine with the next SAE's
/// decoder (cyclically), y its best cosine with the ground-truth features, coloured by log10 of its firing frequency.
/// </summary>
internal static class CrossSaePlot
{
    private const double FloorFrequency = 1e-5;

    /// <summary>Writes the scatter; returns the PNG's path.</summary>
    public static string Write(string basePath, IReadOnlyList<string> names, IReadOnlyList<SparseAutoencoder> saes, Matrix groundTruth, IReadOnlyList<IReadOnlyList<double>> firing)
    {
        var plot = new Plot();
        var colormap = new ScottPlot.Colormaps.Viridis();
        var logs = firing.SelectMany(f => f).Select(f => Math.Log10(Math.Max(f, FloorFrequency))).ToArray();
        var range = new ScottPlot.Range(Math.Log10(FloorFrequency), Math.Max(Math.Log10(FloorFrequency) + 1, logs.DefaultIfEmpty(0).Max()));
        MarkerShape[] shapes = [MarkerShape.FilledCircle, MarkerShape.FilledTriangleUp, MarkerShape.FilledSquare, MarkerShape.FilledDiamond];
        for (var s = 0; s < saes.Count; s++)
        {
            var other = saes[(s + 1) % saes.Count];
            var cross = FeatureSimilarity.MaxCosinePerRow(saes[s].DecoderWeights, other.DecoderWeights).Cosines;
            var truth = FeatureSimilarity.MaxCosinePerRow(saes[s].DecoderWeights, groundTruth).Cosines;
            for (var i = 0; i < cross.Count; i++)
            {
                var value = Math.Log10(Math.Max(firing[s][i], FloorFrequency));
                var color = colormap.GetColor((value - range.Min) / (range.Max - range.Min)).WithAlpha(0.8);
                plot.Add.Marker(cross[i], truth[i], shapes[s % shapes.Length], 6, color);
            }

            var legend = plot.Add.Marker(double.NaN, double.NaN, shapes[s % shapes.Length], 6, Colors.Gray);
            legend.LegendText = $"{names[s]} vs {names[(s + 1) % saes.Count]}";
        }

        plot.Add.ColorBar(new ColorAxis(colormap, range), Edge.Right).Label = "log10 firing frequency";
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Title("Cross-SAE similarity against ground-truth similarity");
        plot.XLabel("similarity with the other SAE (max cosine)");
        plot.YLabel("similarity with the ground truth (max cosine)");
        plot.Axes.SetLimits(-0.05, 1.02, -0.05, 1.02);
        return PlotFiles.Save(plot, basePath, 800, 640);
    }

    /// <summary>A colour scale for the colour bar.</summary>
    private sealed class ColorAxis(IColormap colormap, ScottPlot.Range range) : IHasColorAxis
    {
        public IColormap Colormap { get; } = colormap;

        public ScottPlot.Range GetRange() => range;
    }
}
