using System.Buffers;
using System.Numerics.Tensors;
using SparseDictionary.Kernels;
using SparseDictionary.Tensors;

namespace SparseDictionary.Metrics.Similarity;

/// <summary>Cosine similarity between two sets of feature directions (rows), e.g. an SAE's decoder and ground-truth features.</summary>
/// <remarks>
/// cos(a, b) = a·b / (||a|| ||b||). The rows of both sets are normalised once, then compared in chunks of A's rows with
/// the core's matrix product, so two 16384-row sets never need a 16384 x 16384 matrix (memory: chunk x |B| floats).
/// A zero row has cosine 0 with everything.
/// </remarks>
public static class FeatureSimilarity
{
    private const int ChunkRows = 256;

    /// <summary>For each row of <paramref name="a"/>, the largest cosine with any row of <paramref name="b"/> and that row's index.</summary>
    /// <param name="a">Directions as rows (n x d).</param>
    /// <param name="b">Directions as rows (m x d), m at least 1.</param>
    /// <returns>n best matches.</returns>
    /// <exception cref="ArgumentException">The widths differ, B is empty, or an entry is not finite.</exception>
    public static BestMatches MaxCosinePerRow(Matrix a, Matrix b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Columns != b.Columns)
        {
            throw new ArgumentException($"The direction sets have different widths: {a.Columns} and {b.Columns}.", nameof(b));
        }

        if (b.Rows == 0)
        {
            throw new ArgumentException("The second direction set is empty; each row needs something to match.", nameof(b));
        }

        var d = a.Columns;
        var an = NormalizedRows(a, nameof(a));
        var bn = NormalizedRows(b, nameof(b));
        var cosines = new float[a.Rows];
        var indices = new int[a.Rows];
        var scratch = ArrayPool<float>.Shared.Rent(Math.Min(ChunkRows, Math.Max(a.Rows, 1)) * b.Rows);
        try
        {
            for (var start = 0; start < a.Rows; start += ChunkRows)
            {
                var rows = Math.Min(ChunkRows, a.Rows - start);
                var products = scratch.AsSpan(0, rows * b.Rows);
                Gemm.Multiply(false, true, rows, b.Rows, d, 1f, an.AsSpan(start * d, rows * d), d, bn, d, 0f, products, b.Rows);
                for (var r = 0; r < rows; r++)
                {
                    var row = products.Slice(r * b.Rows, b.Rows);
                    var best = TensorPrimitives.IndexOfMax(row);
                    cosines[start + r] = row[best];
                    indices[start + r] = best;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }

        return new BestMatches(cosines, indices);
    }

    /// <summary>Mean max cosine similarity, MMCS(A, B) = (1/n) Σ_i max_j cos(a_i, b_j) (Sharkey et al. 2022; seed 001, section 3.3).</summary>
    /// <param name="a">Directions as rows.</param>
    /// <param name="b">Directions as rows.</param>
    /// <returns>The MMCS in [-1, 1].</returns>
    public static double MeanMaxCosine(Matrix a, Matrix b) => MaxCosinePerRow(a, b).Mean;

    /// <summary>Share of ground-truth directions whose best cosine with any learned direction exceeds <paramref name="threshold"/>.</summary>
    /// <param name="groundTruth">True feature directions as rows.</param>
    /// <param name="learned">Learned directions as rows (e.g. an SAE's decoder).</param>
    /// <param name="threshold">Cosine threshold, e.g. 0.9.</param>
    /// <returns>A share in [0, 1].</returns>
    public static double FeaturesRecovered(Matrix groundTruth, Matrix learned, double threshold) => MaxCosinePerRow(groundTruth, learned).ShareAbove(threshold);

    internal static float[] NormalizedRows(Matrix m, string name)
    {
        var d = m.Columns;
        var result = new float[m.Length];
        var source = m.Span;
        for (var r = 0; r < m.Rows; r++)
        {
            var row = source.Slice(r * d, d);
            var norm = TensorPrimitives.Norm(row);
            if (!float.IsFinite(norm))
            {
                throw new ArgumentException($"Row {r} holds a NaN or infinite entry (or its norm overflows); cosines need finite directions.", name);
            }

            if (norm > 0)
            {
                TensorPrimitives.Divide(row, norm, result.AsSpan(r * d, d));
            }
        }

        return result;
    }
}
