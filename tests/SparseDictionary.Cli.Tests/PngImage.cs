using System.Buffers.Binary;
using SkiaSharp;

namespace SparseDictionary.Cli.Tests;

/// <summary>Checks a plot file: a PNG of the expected size that is not blank, and its SVG sibling.</summary>
internal static class PngImage
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Width and height from the IHDR chunk.</summary>
    public static (int Width, int Height) Size(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes.AsSpan(0, 8).ToArray().Should().Equal(Signature, $"{path} should be a PNG");
        System.Text.Encoding.ASCII.GetString(bytes, 12, 4).Should().Be("IHDR");
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    /// <summary>Distinct colours over a grid of sampled pixels.</summary>
    public static int Colours(string path)
    {
        using var bitmap = SKBitmap.Decode(path);
        var colours = new HashSet<SKColor>();
        for (var y = 0; y < bitmap.Height; y += 3)
        {
            for (var x = 0; x < bitmap.Width; x += 3)
            {
                colours.Add(bitmap.GetPixel(x, y));
            }
        }

        return colours.Count;
    }

    /// <summary>Asserts the PNG's size, that it has many colours (axes, text, data), and that an SVG sits beside it.</summary>
    public static void ShouldBePlot(string path, int width, int height)
    {
        File.Exists(path).Should().BeTrue(path);
        Size(path).Should().Be((width, height));
        Colours(path).Should().BeGreaterThan(20, "a plot with axes, labels and data is not blank");
        var svg = System.IO.Path.ChangeExtension(path, ".svg");
        File.Exists(svg).Should().BeTrue(svg);
        var text = File.ReadAllText(svg);
        text.Should().Contain("<svg").And.Contain("</svg>");
        System.Xml.Linq.XDocument.Parse(text).Root!.Name.LocalName.Should().Be("svg");
    }
}
