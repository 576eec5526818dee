using SparseDictionary.Kernels;

namespace SparseDictionary.Tests.Support;

/// <summary>Seeded random inputs and the sizes and paths tests sweep.</summary>
internal static class TestData
{
    /// <summary>Awkward lengths: 0..33, around vector and block widths, primes, 257.</summary>
    public static readonly int[] AwkwardLengths = [.. Enumerable.Range(0, 34), 47, 63, 64, 65, 97, 127, 128, 129, 251, 255, 256, 257];

    /// <summary>Every kernel path this CPU supports (the x86 paths only where it has their instructions).</summary>
    public static IEnumerable<KernelPath> SupportedPaths() => Enum.GetValues<KernelPath>().Where(KernelPaths.IsSupported);

    public static TheoryData<KernelPath> Paths()
    {
        var data = new TheoryData<KernelPath>();
        foreach (var path in SupportedPaths())
        {
            data.Add(path);
        }

        return data;
    }

    public static float[] Gaussian(int length, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = scale * (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return values;
    }

    public static Matrix GaussianMatrix(int rows, int columns, int seed, float scale = 1f) => Matrix.Wrap(Gaussian(rows * columns, seed, scale), rows, columns);

    /// <summary>Codes with <paramref name="perRow"/> distinct random latents per row (fewer on some rows) and random values.</summary>
    public static SparseCodes RandomCodes(int rows, int latents, int perRow, int seed)
    {
        var random = new Random(seed);
        var codes = new SparseCodes(rows, latents, perRow);
        for (var r = 0; r < rows; r++)
        {
            var count = r % 5 == 4 ? random.Next(perRow + 1) : perRow;
            var indices = Enumerable.Range(0, latents).OrderBy(_ => random.Next()).Take(count).ToArray();
            var values = indices.Select(_ => (float)(random.NextDouble() * 2)).ToArray();
            codes.SetRow(r, indices, values);
        }

        return codes;
    }
}
