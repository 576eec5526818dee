namespace SparseDictionary.Tests.Kernels;

/// <summary>Operands for the GEMM tests.</summary>
internal static class GemmTestData
{
    /// <summary>Uniform values in [-1, 1) from a seeded <see cref="Random"/>.</summary>
    internal static float[] RandomMatrix(int length, int seed)
    {
        var random = new Random(seed);
        float[] values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }

    /// <summary>An array of <paramref name="length"/> copies of <paramref name="value"/>.</summary>
    internal static float[] Filled(int length, float value)
    {
        float[] values = new float[length];
        Array.Fill(values, value);
        return values;
    }
}
