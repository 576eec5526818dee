using System.Numerics.Tensors;

namespace SparseDictionary.Kernels;

/// <summary>Single-precision matrix product (interim implementation; replaced by the packed kernel).</summary>
internal static class Gemm
{
    /// <summary>C = alpha * op(A) * op(B) + beta * C, row-major.</summary>
    internal static void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        int maxDegreeOfParallelism = -1)
    {
        var aa = a.ToArray();
        var bb = b.ToArray();
        var cc = c.ToArray();
        Parallel.For(0, m, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, i =>
        {
            Span<float> row = new float[k];
            Span<float> col = new float[k];
            for (var l = 0; l < k; l++)
            {
                row[l] = transposeA ? aa[(l * lda) + i] : aa[(i * lda) + l];
            }

            for (var j = 0; j < n; j++)
            {
                for (var l = 0; l < k; l++)
                {
                    col[l] = transposeB ? bb[(j * ldb) + l] : bb[(l * ldb) + j];
                }

                var dot = TensorPrimitives.Dot(row, col);
                cc[(i * ldc) + j] = beta == 0 ? alpha * dot : (alpha * dot) + (beta * cc[(i * ldc) + j]);
            }
        });
        cc.CopyTo(c);
    }
}
