using System.Numerics.Tensors;

namespace SparseDictionary;

/// <summary>Finds NaN and infinite entries quickly, for input validation.</summary>
internal static class FiniteCheck
{
    private const int Chunk = 4096;

    /// <summary>Index of the first NaN or infinite entry of <paramref name="values"/>, or -1 when all are finite.</summary>
    /// <remarks>
    /// A chunk's sum times 0 is 0 unless the chunk holds NaN or infinity (or its sum overflows): one vectorised pass
    /// clears clean chunks, and only suspect chunks are scanned element by element.
    /// </remarks>
    public static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (var start = 0; start < values.Length; start += Chunk)
        {
            var chunk = values.Slice(start, Math.Min(Chunk, values.Length - start));
            if (!float.IsFinite(TensorPrimitives.Sum(chunk) * 0))
            {
                for (var i = 0; i < chunk.Length; i++)
                {
                    if (!float.IsFinite(chunk[i]))
                    {
                        return start + i;
                    }
                }
            }
        }

        return -1;
    }
}
