using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Numerics.Tensors;
using SparseDictionary.Tensors;

namespace SparseDictionary.Kernels;

/// <summary>
/// The sparse half of an SAE step: decoding from active latents, the gradient with respect to the active codes, and
/// the weight gradients grouped by latent. Every operation costs O(rows · active · d); none forms a dense rows x latents matrix.
/// </summary>
/// <remarks>
/// Row-parallel operations write disjoint rows. The weight gradients are grouped by latent (each task owns a fixed
/// range of latents) so that each latent's gradient row is summed by one thread in row order: no atomics, no locks,
/// and bit-identical results whatever the thread count.
/// </remarks>
internal static class SparseKernels
{
    /// <summary>Rows per parallel work item for row-parallel kernels.</summary>
    private const int RowsPerTask = 16;

    /// <summary>output[b] = bias + Σ_j values[b,j] · W[indices[b,j]] for each row b. <paramref name="bias"/> may be empty (no bias).</summary>
    public static void Decode(SparseCodes codes, float[] weights, int dimension, ReadOnlyMemory<float> bias, Matrix output)
    {
        ParallelRows(codes.Rows, (start, end) =>
        {
            var w = weights.AsSpan();
            var b = bias.Span;
            for (var r = start; r < end; r++)
            {
                var row = output.Row(r);
                if (b.IsEmpty)
                {
                    row.Clear();
                }
                else
                {
                    b.CopyTo(row);
                }

                var indices = codes.Indices(r);
                var values = codes.Values(r);
                for (var j = 0; j < indices.Length; j++)
                {
                    TensorPrimitives.MultiplyAdd(w.Slice(indices[j] * dimension, dimension), values[j], row, row);
                }
            }
        });
    }

    /// <summary>codeGradients[b,j] = W[indices[b,j]] · outputGradient[b] for each active entry (row-blocked like <paramref name="codes"/>).</summary>
    public static void CodeGradients(SparseCodes codes, float[] weights, int dimension, Matrix outputGradient, float[] codeGradients)
    {
        var capacity = codes.Capacity;
        ParallelRows(codes.Rows, (start, end) =>
        {
            var w = weights.AsSpan();
            for (var r = start; r < end; r++)
            {
                var g = outputGradient.Row(r);
                var indices = codes.Indices(r);
                var dest = codeGradients.AsSpan(r * capacity, indices.Length);
                for (var j = 0; j < indices.Length; j++)
                {
                    dest[j] = TensorPrimitives.Dot(w.Slice(indices[j] * dimension, dimension), g);
                }
            }
        });
    }

    /// <summary>
    /// Accumulates, for each latent i over its active entries (b, j) in increasing row order:
    /// decoderGradient[i] += values[b,j] · outputGradient[b];
    /// encoderGradient[i] += preGradients[b,j] · encoderInput[b];
    /// encoderBiasGradient[i] += preGradients[b,j];
    /// decoderBiasGradient -= Σ_i (Σ preGradients for i) · encoderWeights[i] (the path through x - b_dec in the encoder).
    /// Also adds each latent's number of active entries to <paramref name="firingCounts"/> when it is not empty.
    /// </summary>
    /// <remarks>
    /// The latents are split into fixed contiguous ranges, one task each. A task streams the batch rows in order and
    /// applies only the entries of its own latents, so every gradient row is written by one thread, summed in row
    /// order (bit-identical whatever the scheduling), while the rows of the output gradient and of the input are read
    /// sequentially rather than gathered.
    /// </remarks>
    public static void AccumulateWeightGradients(
        SparseCodes codes,
        float[] preGradients,
        Matrix outputGradient,
        Matrix encoderInput,
        float[] encoderWeights,
        float[] decoderGradient,
        float[] encoderGradient,
        float[] encoderBiasGradient,
        float[] decoderBiasGradient,
        Span<long> firingCounts)
    {
        var latents = codes.LatentCount;
        var d = encoderInput.Columns;
        var capacity = codes.Capacity;
        var counts = codes.RawCounts;
        var indices = codes.RawIndices;
        var values = codes.RawValues;
        var path = KernelPaths.Current;
        var sums = ArrayPool<float>.Shared.Rent(latents);
        var fired = ArrayPool<int>.Shared.Rent(latents);
        try
        {
            Array.Clear(sums, 0, latents);
            Array.Clear(fired, 0, latents);
            var ranges = Math.Min(latents, Environment.ProcessorCount * 2);
            Parallel.For(0, ranges, range =>
            {
                var low = (int)((long)range * latents / ranges);
                var high = (int)((long)(range + 1) * latents / ranges);
                var outG = outputGradient.Span;
                var input = encoderInput.Span;
                for (var b = 0; b < codes.Rows; b++)
                {
                    var offset = b * capacity;
                    var end = offset + counts[b];
                    for (var e = offset; e < end; e++)
                    {
                        var i = indices[e];
                        if (i < low || i >= high)
                        {
                            continue;
                        }

                        var preGradient = preGradients[e];
                        DualAxpy(
                            values[e], outG.Slice(b * d, d), decoderGradient.AsSpan(i * d, d),
                            preGradient, input.Slice(b * d, d), encoderGradient.AsSpan(i * d, d), path);
                        sums[i] += preGradient;
                        fired[i]++;
                    }
                }
            });

            var biasGrad = decoderBiasGradient.AsSpan(0, d);
            for (var i = 0; i < latents; i++)
            {
                if (fired[i] == 0)
                {
                    continue;
                }

                encoderBiasGradient[i] += sums[i];
                if (!firingCounts.IsEmpty)
                {
                    firingCounts[i] += fired[i];
                }

                if (sums[i] != 0)
                {
                    TensorPrimitives.MultiplyAdd(encoderWeights.AsSpan(i * d, d), -sums[i], biasGrad, biasGrad);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(sums);
            ArrayPool<int>.Shared.Return(fired);
        }
    }

    /// <summary>y1 += a1 · x1 and y2 += a2 · x2 in one pass (all spans of one length).</summary>
    private static void DualAxpy(float a1, ReadOnlySpan<float> x1, Span<float> y1, float a2, ReadOnlySpan<float> x2, Span<float> y2, KernelPath path)
    {
        var n = y1.Length;
        var c = 0;
        if (path != KernelPath.Scalar && Vector256.IsHardwareAccelerated)
        {
            ref var rx1 = ref MemoryMarshal.GetReference(x1);
            ref var ry1 = ref MemoryMarshal.GetReference(y1);
            ref var rx2 = ref MemoryMarshal.GetReference(x2);
            ref var ry2 = ref MemoryMarshal.GetReference(y2);
            var va1 = Vector256.Create(a1);
            var va2 = Vector256.Create(a2);
            var fma = path == KernelPath.Avx2Fma && Fma.IsSupported;
            for (; c <= n - Vector256<float>.Count; c += Vector256<float>.Count)
            {
                var o = (nuint)c;
                var v1 = Vector256.LoadUnsafe(ref rx1, o);
                var v2 = Vector256.LoadUnsafe(ref rx2, o);
                if (fma)
                {
                    Fma.MultiplyAdd(va1, v1, Vector256.LoadUnsafe(ref ry1, o)).StoreUnsafe(ref ry1, o);
                    Fma.MultiplyAdd(va2, v2, Vector256.LoadUnsafe(ref ry2, o)).StoreUnsafe(ref ry2, o);
                }
                else
                {
                    ((va1 * v1) + Vector256.LoadUnsafe(ref ry1, o)).StoreUnsafe(ref ry1, o);
                    ((va2 * v2) + Vector256.LoadUnsafe(ref ry2, o)).StoreUnsafe(ref ry2, o);
                }
            }
        }

        for (; c < n; c++)
        {
            y1[c] += a1 * x1[c];
            y2[c] += a2 * x2[c];
        }
    }

    /// <summary>Runs <paramref name="body"/> over [0, rows) in parallel chunks of rows (serially when small).</summary>
    internal static void ParallelRows(int rows, Action<int, int> body)
    {
        if (rows <= RowsPerTask)
        {
            body(0, rows);
            return;
        }

        var chunks = (rows + RowsPerTask - 1) / RowsPerTask;
        Parallel.For(0, chunks, c => body(c * RowsPerTask, Math.Min(rows, (c + 1) * RowsPerTask)));
    }
}
