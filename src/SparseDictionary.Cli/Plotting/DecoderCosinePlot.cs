using System.Globalization;
using System.Numerics.Tensors;
using ScottPlot;

namespace SparseDictionary.Cli;

/// <summary>
/// The distribution of cosine similarities between an SAE's decoder directions: all pairs, and each latent's nearest
/// other latent (duplicated features pile up near 1). Above <see cref="MaxRows"/> latents, an evenly spaced subset is used.
/// </summary>
internal static class DecoderCosinePlot
{
    /// <summary>Most decoder rows compared pairwise (2048² / 2 pairs).</summary>
    public const int MaxRows = 2048;

    private const int Bins = 100;

    /// <summary>Writes the plot; returns the PNG's path.</summary>
    public static string Write(string basePath, string name, Matrix decoder)
    {
        var (pairs, nearest, used) = Histograms(decoder);
        var plot = new Plot();
        AddBars(plot, pairs, Colors.SteelBlue.WithAlpha(0.6), "all pairs");
        AddBars(plot, nearest, Colors.OrangeRed.WithAlpha(0.6), "nearest other latent");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Margins(bottom: 0);
        plot.Axes.SetLimitsX(-1.02, 1.02);
        var subset = used < decoder.Rows ? string.Create(CultureInfo.InvariantCulture, $", {used} of {decoder.Rows} latents") : string.Empty;
        plot.Title($"Decoder cosine similarities: {name}{subset}");
        plot.XLabel("cosine similarity of two decoder directions");
        plot.YLabel("share");
        return PlotFiles.Save(plot, basePath, 800, 500);
    }

    /// <summary>Shares per bin over [-1, 1] of all pairwise cosines and of each row's largest cosine with another row.</summary>
    internal static (double[] Pairs, double[] Nearest, int Rows) Histograms(Matrix decoder)
    {
        var rows = Math.Min(decoder.Rows, MaxRows);
        var d = decoder.Columns;
        var unit = new float[rows * d];
        for (var i = 0; i < rows; i++)
        {
            var source = decoder.Row((int)((long)i * decoder.Rows / rows));
            var target = unit.AsSpan(i * d, d);
            source.CopyTo(target);
            var norm = TensorPrimitives.Norm(target);
            if (norm > 0)
            {
                TensorPrimitives.Divide(target, norm, target);
            }
        }

        var pairs = new double[Bins];
        var nearest = new double[Bins];
        var best = Enumerable.Repeat(float.NegativeInfinity, rows).ToArray();
        for (var i = 0; i < rows; i++)
        {
            var a = unit.AsSpan(i * d, d);
            for (var j = i + 1; j < rows; j++)
            {
                var cosine = TensorPrimitives.Dot(a, unit.AsSpan(j * d, d));
                pairs[Bin(cosine)]++;
                best[i] = Math.Max(best[i], cosine);
                best[j] = Math.Max(best[j], cosine);
            }
        }

        foreach (var b in best.Where(float.IsFinite))
        {
            nearest[Bin(b)]++;
        }

        Normalize(pairs);
        Normalize(nearest);
        return (pairs, nearest, rows);
    }

    private static int Bin(float cosine) => Math.Clamp((int)((cosine + 1) / 2 * Bins), 0, Bins - 1);

    private static void Normalize(double[] counts)
    {
        var total = counts.Sum();
        if (total > 0)
        {
            for (var i = 0; i < counts.Length; i++)
            {
                counts[i] /= total;
            }
        }
    }

    private static void AddBars(Plot plot, double[] shares, Color color, string label)
    {
        const double width = 2.0 / Bins;
        var bars = plot.Add.Bars(shares.Select((share, i) => new Bar
        {
            Position = -1 + ((i + 0.5) * width),
            Value = share,
            Size = width,
            FillColor = color,
            LineWidth = 0,
        }).ToList());
        bars.LegendText = label;
    }
}
