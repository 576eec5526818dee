using System.Numerics.Tensors;

namespace SparseDictionary.Kernels;

/// <summary>Row-wise operations on row-major weight matrices, parallel over rows.</summary>
internal static class RowKernels
{
    /// <summary>Scales every nonzero row of <paramref name="weights"/> (rows x d) to unit Euclidean norm; zero rows stay zero.</summary>
    public static void NormalizeRows(float[] weights, int rows, int d)
    {
        SparseKernels.ParallelRows(rows, (start, end) =>
        {
            for (var r = start; r < end; r++)
            {
                NormalizeRow(weights.AsSpan(r * d, d));
            }
        });
    }

    /// <summary>
    /// Removes from each gradient row its component along the matching (unit-norm) weight row:
    /// g_i &lt;- g_i - (g_i · w_i) w_i. With unit-norm decoder rows this is the tangent projection that keeps a
    /// renormalised step first-order exact (Gao et al. 2024, section A.4; Bricken et al. 2023).
    /// </summary>
    public static void RemoveParallelComponent(float[] gradient, float[] weights, int rows, int d)
    {
        SparseKernels.ParallelRows(rows, (start, end) =>
        {
            for (var r = start; r < end; r++)
            {
                RemoveParallelComponent(gradient.AsSpan(r * d, d), weights.AsSpan(r * d, d));
            }
        });
    }

    /// <summary>Scales one nonzero row to unit Euclidean norm; a zero row stays zero.</summary>
    public static void NormalizeRow(Span<float> row)
    {
        var norm = TensorPrimitives.Norm(row);
        if (norm > 0)
        {
            TensorPrimitives.Multiply(row, 1 / norm, row);
        }
    }

    /// <summary>g &lt;- g - (g · w) w for one gradient row and its (unit-norm) weight row.</summary>
    public static void RemoveParallelComponent(Span<float> gradient, ReadOnlySpan<float> weights)
    {
        var dot = TensorPrimitives.Dot(gradient, weights);
        if (dot != 0)
        {
            TensorPrimitives.MultiplyAdd(weights, -dot, gradient, gradient);
        }
    }
}
