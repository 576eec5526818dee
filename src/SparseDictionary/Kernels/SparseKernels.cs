using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics.Tensors;
using SparseDictionary.Tensors;

namespace SparseDictionary.Kernels;

/// <summary>
/// The sparse half of an SAE step: decoding from active latents, the gradient with respect to the active codes, and
/// the weight gradients grouped by latent. Every operation costs O(rows · active · d); none forms a dense rows x latents matrix.
/// </summary>
/// <remarks>
/// Row-parallel operations write disjoint rows. The weight gradients are grouped by latent (a counting sort of the
/// active entries into per-latent lists, in row order) so that each latent's gradient row is summed by one thread in a
/// fixed order: no atomics, no locks, and bit-identical results whatever the thread count.
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
    /// Accumulates, grouped by latent i over its active entries (b, j):
    /// decoderGradient[i] += values[b,j] · outputGradient[b];
    /// encoderGradient[i] += preGradients[b,j] · encoderInput[b];
    /// encoderBiasGradient[i] += preGradients[b,j];
    /// decoderBiasGradient -= Σ_i (Σ preGradients for i) · encoderWeights[i] (the path through x - b_dec in the encoder).
    /// Also adds each latent's number of active entries to <paramref name="firingCounts"/> when it is not empty.
    /// </summary>
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
        var start = ArrayPool<int>.Shared.Rent(latents + 1);
        var total = (int)codes.TotalActive;
        var entries = ArrayPool<int>.Shared.Rent(Math.Max(total, 1));
        var sums = ArrayPool<float>.Shared.Rent(latents);
        try
        {
            // Counting sort of active entries by latent; entry = b * capacity + j, rows ascending within a latent.
            Array.Clear(start, 0, latents + 1);
            for (var b = 0; b < codes.Rows; b++)
            {
                var offset = b * capacity;
                for (var j = 0; j < counts[b]; j++)
                {
                    start[indices[offset + j] + 1]++;
                }
            }

            for (var i = 0; i < latents; i++)
            {
                if (!firingCounts.IsEmpty)
                {
                    firingCounts[i] += start[i + 1];
                }

                start[i + 1] += start[i];
            }

            var cursor = ArrayPool<int>.Shared.Rent(latents);
            try
            {
                Array.Copy(start, cursor, latents);
                for (var b = 0; b < codes.Rows; b++)
                {
                    var offset = b * capacity;
                    for (var j = 0; j < counts[b]; j++)
                    {
                        entries[cursor[indices[offset + j]]++] = offset + j;
                    }
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(cursor);
            }

            var values = codes.RawValues;
            var grain = Math.Max(1, latents / (Environment.ProcessorCount * 8));
            Parallel.ForEach(Partitioner.Create(0, latents, grain), range =>
            {
                var outG = outputGradient.Span;
                var input = encoderInput.Span;
                for (var i = range.Item1; i < range.Item2; i++)
                {
                    var first = start[i];
                    var last = start[i + 1];
                    var sum = 0f;
                    if (first != last)
                    {
                        var decRow = decoderGradient.AsSpan(i * d, d);
                        var encRow = encoderGradient.AsSpan(i * d, d);
                        for (var e = first; e < last; e++)
                        {
                            var entry = entries[e];
                            var b = entry / capacity;
                            TensorPrimitives.MultiplyAdd(outG.Slice(b * d, d), values[entry], decRow, decRow);
                            var pg = preGradients[entry];
                            TensorPrimitives.MultiplyAdd(input.Slice(b * d, d), pg, encRow, encRow);
                            sum += pg;
                        }

                        encoderBiasGradient[i] += sum;
                    }

                    sums[i] = sum;
                }
            });

            var biasGrad = decoderBiasGradient.AsSpan(0, d);
            for (var i = 0; i < latents; i++)
            {
                if (sums[i] != 0)
                {
                    TensorPrimitives.MultiplyAdd(encoderWeights.AsSpan(i * d, d), -sums[i], biasGrad, biasGrad);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(start);
            ArrayPool<int>.Shared.Return(entries);
            ArrayPool<float>.Shared.Return(sums);
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
