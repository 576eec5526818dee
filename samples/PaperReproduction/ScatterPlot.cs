using SparseDictionary;
using ScottPlot;

/// <summary>
/// The MFR paper's Figures 2-5 for one run: each latent of both SAEs as a point, x its best cosine with the other SAE's
/// decoder rows, y its best cosine with the ground-truth features, coloured by log10 of its firing frequency on the
/// held-out samples (never-firing latents at the bottom of the scale).
/// </summary>
internal static class ScatterPlot
{
    private const double FloorFrequency = 1e-5;

    public static void Write(string path, string title, IReadOnlyList<LatentProfile> profiles)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var plot = new Plot();
        var colormap = new ScottPlot.Colormaps.Viridis();
        var logs = profiles.SelectMany(p => p.FiringFrequency).Select(f => Math.Log10(Math.Max(f, FloorFrequency))).ToArray();
        var range = new ScottPlot.Range(Math.Log10(FloorFrequency), Math.Max(0, logs.Max()));
        var shapes = new[] { MarkerShape.FilledCircle, MarkerShape.FilledTriangleUp };
        for (var s = 0; s < profiles.Count; s++)
        {
            var profile = profiles[s];
            for (var i = 0; i < profile.CrossSae.Length; i++)
            {
                var value = Math.Log10(Math.Max(profile.FiringFrequency[i], FloorFrequency));
                var color = colormap.GetColor((value - range.Min) / (range.Max - range.Min)).WithAlpha(0.8);
                plot.Add.Marker(profile.CrossSae[i], profile.GroundTruth[i], shapes[s % shapes.Length], 5, color);
            }
        }

        plot.Add.ColorBar(new ColorAxis(colormap, range), Edge.Right).Label = "log10 firing frequency (held-out)";
        plot.Title(title);
        plot.XLabel("similarity with the other SAE (max cosine)");
        plot.YLabel("similarity with the ground truth (max cosine)");
        plot.Axes.SetLimits(-0.05, 1.02, -0.05, 1.02);
        plot.SavePng(path, 800, 640);
    }

    /// <summary>A colour scale for the colour bar.</summary>
    private sealed class ColorAxis(IColormap colormap, ScottPlot.Range range) : IHasColorAxis
    {
        public IColormap Colormap { get; } = colormap;

        public ScottPlot.Range GetRange() => range;
    }
}
