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

    /// <summary>A copy of <paramref name="m"/> with every nonzero row scaled to unit norm (zero rows stay zero).</summary>
    /// <exception cref="ArgumentException">A row holds a NaN or infinite entry, or its norm overflows; the message names the row and <paramref name="name"/>.</exception>
    public static float[] NormalizedCopy(Tensors.Matrix m, string name)
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
