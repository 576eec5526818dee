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
                var row = weights.AsSpan(r * d, d);
                var norm = TensorPrimitives.Norm(row);
                if (norm > 0)
                {
                    TensorPrimitives.Multiply(row, 1 / norm, row);
                }
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
                var g = gradient.AsSpan(r * d, d);
                var w = weights.AsSpan(r * d, d);
                var dot = TensorPrimitives.Dot(g, w);
                if (dot != 0)
                {
                    TensorPrimitives.MultiplyAdd(w, -dot, g, g);
                }
            }
        });
    }
}
