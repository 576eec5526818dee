using ScottPlot;
using SkiaSharp;

namespace SparseDictionary.Cli;

/// <summary>Saves a ScottPlot plot or multiplot as a PNG and an SVG side by side.</summary>
internal static class PlotFiles
{
    /// <summary>Writes <c>{basePath}.png</c> and <c>{basePath}.svg</c>; returns the PNG's path.</summary>
    public static string Save(Plot plot, string basePath, int width, int height)
    {
        CreateFolder(basePath);
        plot.SavePng(basePath + ".png", width, height);
        plot.SaveSvg(basePath + ".svg", width, height);
        return basePath + ".png";
    }

    /// <summary>Writes <c>{basePath}.png</c> and <c>{basePath}.svg</c> of a multiplot; returns the PNG's path.</summary>
    public static string Save(Multiplot multiplot, string basePath, int width, int height)
    {
        CreateFolder(basePath);
        multiplot.SavePng(basePath + ".png", width, height);
        using (var stream = File.Create(basePath + ".svg"))
        {
            using var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), stream);
            multiplot.Render(canvas, new PixelRect(new PixelSize(width, height)));
        }

        return basePath + ".png";
    }

    /// <summary>A file-name-safe form of an SAE's name.</summary>
    public static string Slug(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var slug = new string([.. name.Select(c => invalid.Contains(c) || char.IsWhiteSpace(c) ? '_' : c)]).Trim('_', '.');
        return slug.Length == 0 ? "sae" : slug;
    }

    private static void CreateFolder(string basePath) =>
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(basePath))!);
}
