using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SparseDictionary.Kernels;

/// <summary>Row-wise operations on row-major weight matrices, parallel over rows.</summary>
internal static class RowKernels
{
    /// <summary>Scales every nonzero row of <paramref name="weights"/> (rows x d) to unit Euclidean norm; zero rows stay zero.</summary>
    public static void NormalizeRows(Memory<float> weights, int rows, int d)
    {
        ParallelRows.For(rows, (start, end) =>
        {
            var span = weights.Span;
            for (var r = start; r < end; r++)
            {
                NormalizeRow(span.Slice(r * d, d));
            }
        });
    }

    /// <summary>A copy of <paramref name="m"/> with every nonzero row scaled to unit norm (zero rows stay zero).</summary>
    /// <exception cref="ArgumentException">A row holds a NaN or infinite entry, or its norm overflows; the message names the row and <paramref name="name"/>.</exception>
    public static float[] NormalizedCopy(Matrix m, string name)
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
    public static void RemoveParallelComponent(Memory<float> gradient, ReadOnlyMemory<float> weights, int rows, int d)
    {
        ParallelRows.For(rows, (start, end) =>
        {
            var g = gradient.Span;
            var w = weights.Span;
            for (var r = start; r < end; r++)
            {
                RemoveParallelComponent(g.Slice(r * d, d), w.Slice(r * d, d));
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

    /// <summary>
    /// sums[c] += (row[c] - center[c])² for every c, in double: each float converted exactly, the difference and the
    /// square rounded once each and added once (no fused multiply-add), so the result is the same on every path as the
    /// scalar loop (4 columns per add on the vector paths).
    /// </summary>
    /// <param name="row">The values.</param>
    /// <param name="center">The value subtracted from each column, at least as long as <paramref name="row"/>.</param>
    /// <param name="sums">Running sums, at least as long as <paramref name="row"/>.</param>
    /// <param name="path">The kernel path.</param>
    public static void AddSquaredDeviations(ReadOnlySpan<float> row, ReadOnlySpan<double> center, Span<double> sums, KernelPath path)
    {
        if (sums.Length < row.Length || center.Length < row.Length)
        {
            throw new ArgumentException($"{sums.Length} sums and {center.Length} centres for a row of {row.Length}.", nameof(sums));
        }

        var c = 0;
        if (path != KernelPath.Scalar && Vector256.IsHardwareAccelerated)
        {
            ref var source = ref MemoryMarshal.GetReference(row);
            ref var middle = ref MemoryMarshal.GetReference(center);
            ref var destination = ref MemoryMarshal.GetReference(sums);
            for (; c <= row.Length - Vector256<float>.Count; c += Vector256<float>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref source, (nuint)c));
                var at = (nuint)c;
                var deviation = lower - Vector256.LoadUnsafe(ref middle, at);
                (Vector256.LoadUnsafe(ref destination, at) + (deviation * deviation)).StoreUnsafe(ref destination, at);
                at += (nuint)Vector256<double>.Count;
                deviation = upper - Vector256.LoadUnsafe(ref middle, at);
                (Vector256.LoadUnsafe(ref destination, at) + (deviation * deviation)).StoreUnsafe(ref destination, at);
            }
        }

        for (; c < row.Length; c++)
        {
            var deviation = row[c] - center[c];
            sums[c] += deviation * deviation;
        }
    }

    /// <summary>
    /// sums[c] += row[c] for every c, in double: each float converted exactly and added once, so the result is the
    /// same on every path as the scalar loop (4 columns per add on the vector paths).
    /// </summary>
    /// <param name="row">The values to add.</param>
    /// <param name="sums">Running sums, at least as long as <paramref name="row"/>.</param>
    /// <param name="path">The kernel path.</param>
    public static void AddToDouble(ReadOnlySpan<float> row, Span<double> sums, KernelPath path)
    {
        if (sums.Length < row.Length)
        {
            throw new ArgumentException($"{sums.Length} sums for a row of {row.Length}.", nameof(sums));
        }

        var c = 0;
        if (path != KernelPath.Scalar && Vector256.IsHardwareAccelerated)
        {
            ref var source = ref MemoryMarshal.GetReference(row);
            ref var destination = ref MemoryMarshal.GetReference(sums);
            for (; c <= row.Length - Vector256<float>.Count; c += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref source, (nuint)c);
                var (lower, upper) = Vector256.Widen(v);
                var at = (nuint)c;
                (Vector256.LoadUnsafe(ref destination, at) + lower).StoreUnsafe(ref destination, at);
                at += (nuint)Vector256<double>.Count;
                (Vector256.LoadUnsafe(ref destination, at) + upper).StoreUnsafe(ref destination, at);
            }
        }

        for (; c < row.Length; c++)
        {
            sums[c] += row[c];
        }
    }
}
