using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Numerics.Tensors;

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
    /// <summary>Active entries from which the per-latent sums of <see cref="AccumulateWeightGradients"/> run in parallel.</summary>
    private const int ParallelSumEntries = 1 << 16;

    /// <summary>Per thread: the two gradient rows of the latent being summed in the fused update.</summary>
    [ThreadStatic]
    private static Memory<float> t_latentRows;

    /// <summary>Receives one latent's finished weight-gradient rows (dL/dW_dec[latent] and dL/dW_enc[latent]), which it may modify.</summary>
    /// <param name="latent">The latent.</param>
    /// <param name="decoderRow">Its decoder-gradient row (d floats).</param>
    /// <param name="encoderRow">Its encoder-gradient row (d floats).</param>
    internal delegate void LatentGradientRows(int latent, Span<float> decoderRow, Span<float> encoderRow);

    /// <summary>output[b] = bias + Σ_j values[b,j] · W[indices[b,j]] for each row b. <paramref name="bias"/> may be empty (no bias).</summary>
    public static void Decode(SparseCodes codes, ReadOnlyMemory<float> weights, int dimension, ReadOnlyMemory<float> bias, Matrix output)
    {
        var path = KernelPaths.Current;
        ParallelRows.For(codes.Rows, (start, end) =>
        {
            var w = weights.Span;
            for (var r = start; r < end; r++)
            {
                SparseRowKernels.Decode(codes.Indices(r), codes.Values(r), w, dimension, bias.Span, output.Row(r), path);
            }
        });
    }

    /// <summary>
    /// <see cref="Decode"/>, the reconstruction loss with its output gradient, and <see cref="CodeGradients"/> in one
    /// pass over the rows, each row's reconstruction and gradient still in cache for the next stage. Per row b:
    /// reconstruction[b] = bias + Σ_j values[b,j] · W[indices[b,j]];
    /// outputGradient[b,c] = scale · (reconstruction[b,c] - target[b,c]);
    /// rowErrors[b] = Σ_c (reconstruction[b,c] - target[b,c])², each difference rounded to float, squared exactly and
    /// summed in double (<see cref="SparseRowKernels.SquaredErrorWithGradient"/>); codeGradients[b,j] = W[indices[b,j]] ·
    /// outputGradient[b] (<see cref="SparseRowKernels.Dot"/>).
    /// </summary>
    /// <remarks>Bit-identical to <see cref="Decode"/>, then <see cref="SparseRowKernels.SquaredErrorWithGradient"/> per row,
    /// then <see cref="CodeGradients"/>: each row goes through the same row kernels. Every path gives the same bits.</remarks>
    public static void DecodeWithLossAndCodeGradients(
        SparseCodes codes,
        ReadOnlyMemory<float> weights,
        int dimension,
        ReadOnlyMemory<float> bias,
        Matrix target,
        float scale,
        Matrix reconstruction,
        Matrix outputGradient,
        double[] rowErrors,
        float[] codeGradients)
    {
        var capacity = codes.Capacity;
        var path = KernelPaths.Current;
        ParallelRows.For(codes.Rows, (start, end) =>
        {
            var w = weights.Span;
            for (var r = start; r < end; r++)
            {
                var indices = codes.Indices(r);
                var row = reconstruction.Row(r);
                SparseRowKernels.Decode(indices, codes.Values(r), w, dimension, bias.Span, row, path);
                var g = outputGradient.Row(r);
                rowErrors[r] = SparseRowKernels.SquaredErrorWithGradient(row, target.Row(r), scale, g, path);
                SparseRowKernels.Dots(indices, w, dimension, g, codeGradients.AsSpan(r * capacity, indices.Length), path);
            }
        });
    }

    /// <summary>codeGradients[b,j] = W[indices[b,j]] · outputGradient[b] for each active entry (row-blocked like <paramref name="codes"/>).</summary>
    public static void CodeGradients(SparseCodes codes, ReadOnlyMemory<float> weights, int dimension, Matrix outputGradient, float[] codeGradients)
    {
        var capacity = codes.Capacity;
        var path = KernelPaths.Current;
        ParallelRows.For(codes.Rows, (start, end) =>
        {
            var w = weights.Span;
            for (var r = start; r < end; r++)
            {
                var indices = codes.Indices(r);
                SparseRowKernels.Dots(indices, w, dimension, outputGradient.Row(r), codeGradients.AsSpan(r * capacity, indices.Length), path);
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
    /// With <paramref name="overwrite"/>, the decoder and encoder weight gradients are written instead of added to (each
    /// latent's rows start from zero; rows of latents without entries are set to zero), which spares the caller clearing
    /// latents x d floats twice over; the bias gradients are still added to.
    /// With <paramref name="latentCompleted"/> (which needs <paramref name="overwrite"/>), each latent's two finished
    /// rows are handed to it, on the thread that summed them, after the bias gradients and firing counts are complete
    /// (so it may update W_enc); the rows are per-thread scratch when the batch is one tile, and the weight-gradient
    /// arrays are then left unspecified.
    /// </summary>
    /// <remarks>
    /// The active entries are grouped by (row tile, latent) with a stable counting sort (row order kept inside each
    /// group; one tile unless latents have many entries each). Tasks own contiguous ranges of latents holding about
    /// equal numbers of entries; each latent's two gradient rows are summed by one thread, tile after tile, in row
    /// order (bit-identical whatever the scheduling), 32 columns at a time held in registers while the latent's entries
    /// of the tile stream past, so a gradient row is loaded and stored once per tile instead of once per entry. Each column sees the same operations in the same order as a plain per-entry
    /// y += a · x (fused multiply-add on <see cref="KernelPath.Avx2Fma"/> and <see cref="KernelPath.Avx512Fma"/>, which give the
    /// same bits, except in the last d mod 8 columns).
    /// </remarks>
    public static void AccumulateWeightGradients(
        SparseCodes codes,
        float[] preGradients,
        Matrix outputGradient,
        Matrix encoderInput,
        ReadOnlyMemory<float> encoderWeights,
        Memory<float> decoderGradient,
        Memory<float> encoderGradient,
        Memory<float> encoderBiasGradient,
        Memory<float> decoderBiasGradient,
        Span<long> firingCounts,
        bool overwrite = false,
        LatentGradientRows? latentCompleted = null)
    {
        if (latentCompleted is not null && !overwrite)
        {
            throw new ArgumentException("A latent-completed callback needs overwrite: true (the rows it gets hold this batch's gradient only).", nameof(latentCompleted));
        }

        var latents = codes.LatentCount;
        var d = encoderInput.Columns;
        var capacity = codes.Capacity;
        var counts = codes.RawCounts;
        var indices = codes.RawIndices;
        var values = codes.RawValues;
        var path = KernelPaths.Current;
        var rows = codes.Rows;
        var entries = 0;
        for (var b = 0; b < rows; b++)
        {
            entries += counts[b];
        }

        // Row tiles: when latents have many entries each (a small dictionary, a large batch), the batch is cut into
        // tiles whose output-gradient and input rows (256 KB) stay in L2 while each latent's entries of the tile are applied;
        // with few entries per latent one tile (the whole batch) is best.
        var tileRows = Math.Max(Gemm.MR, 32768 / Math.Max(1, d));
        var tiles = (int)Math.Clamp(Math.Min((rows + tileRows - 1L) / tileRows, entries / (4L * latents)), 1, int.MaxValue);
        tileRows = (rows + tiles - 1) / tiles;
        var keys = tiles * latents;
        var sums = ArrayPool<float>.Shared.Rent(latents);
        var started = ArrayPool<bool>.Shared.Rent(latents);
        var start = ArrayPool<int>.Shared.Rent(keys + 1);
        var cursor = ArrayPool<int>.Shared.Rent(keys);
        var entryRows = ArrayPool<int>.Shared.Rent(entries);
        var entryValues = ArrayPool<float>.Shared.Rent(entries);
        var entryPreGradients = ArrayPool<float>.Shared.Rent(entries);
        try
        {
            // Counting sort of the entries by (tile, latent), stable: start[key] .. start[key + 1] are the entries of
            // latent i in tile t (key = t * latents + i), in row order. A tile's rows only reach its own keys, so the
            // tiles are counted and scattered in parallel (the same layout as one serial pass).
            var tileStart = new int[tiles + 1];
            for (var t = 0; t < tiles; t++)
            {
                var tileEntries = 0;
                for (var b = t * tileRows; b < Math.Min(rows, (t + 1) * tileRows); b++)
                {
                    tileEntries += counts[b];
                }

                tileStart[t + 1] = tileStart[t] + tileEntries;
            }

            void SortTile(int t)
            {
                var keyOffset = t * latents;
                var firstRow = t * tileRows;
                var endRow = Math.Min(rows, firstRow + tileRows);
                Array.Clear(cursor, keyOffset, latents);
                for (var b = firstRow; b < endRow; b++)
                {
                    var offset = b * capacity;
                    for (var e = offset; e < offset + counts[b]; e++)
                    {
                        cursor[keyOffset + indices[e]]++;
                    }
                }

                var running = tileStart[t];
                for (var key = keyOffset; key < keyOffset + latents; key++)
                {
                    start[key] = running;
                    running += cursor[key];
                    cursor[key] = start[key];
                }

                for (var b = firstRow; b < endRow; b++)
                {
                    var offset = b * capacity;
                    for (var e = offset; e < offset + counts[b]; e++)
                    {
                        var at = cursor[keyOffset + indices[e]]++;
                        entryRows[at] = b;
                        entryValues[at] = values[e];
                        entryPreGradients[at] = preGradients[e];
                    }
                }
            }

            if (tiles == 1)
            {
                SortTile(0);
            }
            else
            {
                Parallel.For(0, tiles, SortTile);
            }

            start[keys] = entries;

            // Per latent, its number of entries (over all tiles): the firing count.
            var fired = cursor;
            for (var i = 0; i < latents; i++)
            {
                var total = 0;
                for (var t = 0; t < tiles; t++)
                {
                    var key = (t * latents) + i;
                    total += start[key + 1] - start[key];
                }

                fired[i] = total;
            }

            // Per latent, the sum of its pre-activation gradients (tile after tile, entries in row order), then the
            // bias gradients and firing counts, in latent order, before any weight row is handed to latentCompleted
            // (the decoder-bias gradient reads W_enc, which the callback may update).
            void SumLatents(int low, int high)
            {
                for (var i = low; i < high; i++)
                {
                    var sum = 0f;
                    for (var t = 0; t < tiles; t++)
                    {
                        var end = start[(t * latents) + i + 1];
                        for (var e = start[(t * latents) + i]; e < end; e++)
                        {
                            sum += entryPreGradients[e];
                        }
                    }

                    sums[i] = sum;
                }
            }

            if (entries < ParallelSumEntries)
            {
                SumLatents(0, latents);
            }
            else
            {
                var chunks = Math.Min(latents, 2 * Environment.ProcessorCount);
                Parallel.For(0, chunks, c => SumLatents((int)((long)c * latents / chunks), (int)((long)(c + 1) * latents / chunks)));
            }

            var biasGrad = decoderBiasGradient.Span[..d];
            var encoderBias = encoderBiasGradient.Span;
            var encoderRows = encoderWeights.Span;
            for (var i = 0; i < latents; i++)
            {
                if (fired[i] == 0)
                {
                    continue;
                }

                encoderBias[i] += sums[i];
                if (!firingCounts.IsEmpty)
                {
                    firingCounts[i] += fired[i];
                }

                if (sums[i] != 0)
                {
                    TensorPrimitives.MultiplyAdd(encoderRows.Slice(i * d, d), -sums[i], biasGrad, biasGrad);
                }
            }

            // Ranges of latents with about equal numbers of entries, a few per core for balance; two with several row
            // tiles, since every range streams every tile through its core's L2 (on C3's shape, 10 % faster than four).
            var ranges = Math.Max(1, Math.Min(latents, Environment.ProcessorCount * (tiles > 1 ? 2 : 4)));
            var boundaries = new int[ranges + 1];
            for (int r = 1, i = 0, below = 0; r < ranges; r++)
            {
                var goal = (long)r * entries / ranges;
                while (i < latents && below < goal)
                {
                    below += fired[i++];
                }

                boundaries[r] = Math.Max(i, boundaries[r - 1]);
            }

            boundaries[ranges] = latents;
            Parallel.For(0, ranges, range =>
            {
                var outSpan = outputGradient.Span;
                var inSpan = encoderInput.Span;
                var low = boundaries[range];
                var high = boundaries[range + 1];
                Array.Clear(started, low, high - low);
                if (overwrite)
                {
                    for (var i = low; i < high; i++)
                    {
                        if (fired[i] == 0)
                        {
                            decoderGradient.Span.Slice(i * d, d).Clear();
                            encoderGradient.Span.Slice(i * d, d).Clear();
                        }
                    }
                }

                if (latentCompleted is not null && tiles == 1)
                {
                    // Each latent's two rows are summed into scratch that stays in L1 and handed over at once: the
                    // gradient arrays are neither written nor read back.
                    var scratch = LatentRowScratch(d);
                    var decoderRow = scratch.Span[..d];
                    var encoderRow = scratch.Span.Slice(LatentRowStride(d), d);
                    for (var i = low; i < high; i++)
                    {
                        var first = start[i];
                        var end = start[i + 1];
                        if (first == end)
                        {
                            decoderRow.Clear();
                            encoderRow.Clear();
                        }
                        else
                        {
                            AccumulateLatent(
                                entryRows.AsSpan(first, end - first), entryValues.AsSpan(first, end - first), entryPreGradients.AsSpan(first, end - first),
                                outSpan, inSpan, d, decoderRow, encoderRow, path, fromZero: true);
                        }

                        latentCompleted(i, decoderRow, encoderRow);
                    }

                    return;
                }

                for (var t = 0; t < tiles; t++)
                {
                    for (var i = low; i < high; i++)
                    {
                        var first = start[(t * latents) + i];
                        var end = start[(t * latents) + i + 1];
                        if (first == end)
                        {
                            continue;
                        }

                        AccumulateLatent(
                            entryRows.AsSpan(first, end - first), entryValues.AsSpan(first, end - first), entryPreGradients.AsSpan(first, end - first),
                            outSpan, inSpan, d, decoderGradient.Span.Slice(i * d, d), encoderGradient.Span.Slice(i * d, d), path, fromZero: overwrite && !started[i]);
                        started[i] = true;
                    }
                }

                if (latentCompleted is not null)
                {
                    for (var i = low; i < high; i++)
                    {
                        latentCompleted(i, decoderGradient.Span.Slice(i * d, d), encoderGradient.Span.Slice(i * d, d));
                    }
                }
            });
        }
        finally
        {
            ArrayPool<float>.Shared.Return(sums);
            ArrayPool<bool>.Shared.Return(started);
            ArrayPool<int>.Shared.Return(start);
            ArrayPool<int>.Shared.Return(cursor);
            ArrayPool<int>.Shared.Return(entryRows);
            ArrayPool<float>.Shared.Return(entryValues);
            ArrayPool<float>.Shared.Return(entryPreGradients);
        }
    }

    /// <summary>
    /// For one latent: decoderRow += Σ_e values[e] · outputGradient[rows[e]] and encoderRow += Σ_e preGradients[e] ·
    /// input[rows[e]], entries in order, column blocks held in registers across the entries; the vector columns'
    /// multiply-adds fused on the paths that use FMA (<see cref="KernelPaths.UsesFusedMultiplyAdd"/>).
    /// </summary>
    private static void AccumulateLatent(
        ReadOnlySpan<int> rows,
        ReadOnlySpan<float> values,
        ReadOnlySpan<float> preGradients,
        ReadOnlySpan<float> outputGradient,
        ReadOnlySpan<float> input,
        int d,
        Span<float> decoderRow,
        Span<float> encoderRow,
        KernelPath path,
        bool fromZero)
    {
        if (KernelPaths.UsesFusedMultiplyAdd(path))
        {
            AccumulateLatent<FusedMultiplyAdd>(rows, values, preGradients, outputGradient, input, d, decoderRow, encoderRow, path, fromZero);
        }
        else
        {
            AccumulateLatent<MultiplyThenAdd>(rows, values, preGradients, outputGradient, input, d, decoderRow, encoderRow, path, fromZero);
        }
    }

    /// <summary><see cref="AccumulateLatent"/> with each vector multiply-add rounded as <typeparamref name="TMultiplyAdd"/> rounds it.</summary>
    private static void AccumulateLatent<TMultiplyAdd>(
        ReadOnlySpan<int> rows,
        ReadOnlySpan<float> values,
        ReadOnlySpan<float> preGradients,
        ReadOnlySpan<float> outputGradient,
        ReadOnlySpan<float> input,
        int d,
        Span<float> decoderRow,
        Span<float> encoderRow,
        KernelPath path,
        bool fromZero)
        where TMultiplyAdd : struct, IMultiplyAdd
    {
        var c = 0;
        if (path == KernelPath.Avx512Fma && Avx512F.IsSupported)
        {
            for (; c + (4 * Vector512<float>.Count) <= d; c += 4 * Vector512<float>.Count)
            {
                AccumulateColumns4<Lanes512, Vector512<float>, TMultiplyAdd>(rows, values, preGradients, outputGradient, input, d, c, decoderRow, encoderRow, fromZero);
            }
        }

        if (path != KernelPath.Scalar && Vector256.IsHardwareAccelerated)
        {
            var vectorEnd = d - (d % Vector256<float>.Count);
            for (; c <= vectorEnd - (4 * Vector256<float>.Count); c += 4 * Vector256<float>.Count)
            {
                AccumulateColumns4<Lanes256, Vector256<float>, TMultiplyAdd>(rows, values, preGradients, outputGradient, input, d, c, decoderRow, encoderRow, fromZero);
            }

            for (; c < vectorEnd; c += Vector256<float>.Count)
            {
                AccumulateColumns1<TMultiplyAdd>(rows, values, preGradients, outputGradient, input, d, c, decoderRow, encoderRow, fromZero);
            }
        }

        for (; c < d; c++)
        {
            var dec = fromZero ? 0f : decoderRow[c];
            var enc = fromZero ? 0f : encoderRow[c];
            for (var e = 0; e < rows.Length; e++)
            {
                var at = (rows[e] * d) + c;
                dec += values[e] * outputGradient[at];
                enc += preGradients[e] * input[at];
            }

            decoderRow[c] = dec;
            encoderRow[c] = enc;
        }
    }

    /// <summary>
    /// Columns c .. c + 4 vectors of <see cref="AccumulateLatent"/> in eight registers of <typeparamref name="TLanes"/>
    /// (four for the decoder row, four for the encoder row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateColumns4<TLanes, TVector, TMultiplyAdd>(
        ReadOnlySpan<int> rows, ReadOnlySpan<float> values, ReadOnlySpan<float> preGradients, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input,
        int d, int c, Span<float> decoderRow, Span<float> encoderRow, bool fromZero)
        where TLanes : struct, IVectorLanes<TVector>
        where TVector : struct
        where TMultiplyAdd : struct, IMultiplyAdd
    {
        var w = (nuint)TLanes.Count;
        ref var dec = ref Unsafe.Add(ref MemoryMarshal.GetReference(decoderRow), c);
        ref var enc = ref Unsafe.Add(ref MemoryMarshal.GetReference(encoderRow), c);
        ref var outOrigin = ref MemoryMarshal.GetReference(outputGradient);
        ref var inOrigin = ref MemoryMarshal.GetReference(input);
        var d0 = fromZero ? TLanes.Zero : TLanes.Load(ref dec, 0);
        var d1 = fromZero ? TLanes.Zero : TLanes.Load(ref dec, w);
        var d2 = fromZero ? TLanes.Zero : TLanes.Load(ref dec, 2 * w);
        var d3 = fromZero ? TLanes.Zero : TLanes.Load(ref dec, 3 * w);
        var e0 = fromZero ? TLanes.Zero : TLanes.Load(ref enc, 0);
        var e1 = fromZero ? TLanes.Zero : TLanes.Load(ref enc, w);
        var e2 = fromZero ? TLanes.Zero : TLanes.Load(ref enc, 2 * w);
        var e3 = fromZero ? TLanes.Zero : TLanes.Load(ref enc, 3 * w);
        for (var e = 0; e < rows.Length; e++)
        {
            var offset = (nuint)((rows[e] * d) + c);
            ref var x = ref Unsafe.Add(ref outOrigin, offset);
            ref var y = ref Unsafe.Add(ref inOrigin, offset);
            var a = TLanes.Broadcast(values[e]);
            var p = TLanes.Broadcast(preGradients[e]);
            d0 = TLanes.MultiplyAdd<TMultiplyAdd>(a, TLanes.Load(ref x, 0), d0);
            d1 = TLanes.MultiplyAdd<TMultiplyAdd>(a, TLanes.Load(ref x, w), d1);
            d2 = TLanes.MultiplyAdd<TMultiplyAdd>(a, TLanes.Load(ref x, 2 * w), d2);
            d3 = TLanes.MultiplyAdd<TMultiplyAdd>(a, TLanes.Load(ref x, 3 * w), d3);
            e0 = TLanes.MultiplyAdd<TMultiplyAdd>(p, TLanes.Load(ref y, 0), e0);
            e1 = TLanes.MultiplyAdd<TMultiplyAdd>(p, TLanes.Load(ref y, w), e1);
            e2 = TLanes.MultiplyAdd<TMultiplyAdd>(p, TLanes.Load(ref y, 2 * w), e2);
            e3 = TLanes.MultiplyAdd<TMultiplyAdd>(p, TLanes.Load(ref y, 3 * w), e3);
        }

        TLanes.Store(d0, ref dec, 0);
        TLanes.Store(d1, ref dec, w);
        TLanes.Store(d2, ref dec, 2 * w);
        TLanes.Store(d3, ref dec, 3 * w);
        TLanes.Store(e0, ref enc, 0);
        TLanes.Store(e1, ref enc, w);
        TLanes.Store(e2, ref enc, 2 * w);
        TLanes.Store(e3, ref enc, 3 * w);
    }

    /// <summary>Columns c .. c + 7 of <see cref="AccumulateLatent"/>.</summary>
    private static void AccumulateColumns1<TMultiplyAdd>(
        ReadOnlySpan<int> rows, ReadOnlySpan<float> values, ReadOnlySpan<float> preGradients, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input,
        int d, int c, Span<float> decoderRow, Span<float> encoderRow, bool fromZero)
        where TMultiplyAdd : struct, IMultiplyAdd
    {
        ref var dec = ref Unsafe.Add(ref MemoryMarshal.GetReference(decoderRow), c);
        ref var enc = ref Unsafe.Add(ref MemoryMarshal.GetReference(encoderRow), c);
        ref var outOrigin = ref MemoryMarshal.GetReference(outputGradient);
        ref var inOrigin = ref MemoryMarshal.GetReference(input);
        var d0 = fromZero ? Vector256<float>.Zero : Vector256.LoadUnsafe(ref dec);
        var e0 = fromZero ? Vector256<float>.Zero : Vector256.LoadUnsafe(ref enc);
        for (var e = 0; e < rows.Length; e++)
        {
            var offset = (nuint)((rows[e] * d) + c);
            var a = Vector256.Create(values[e]);
            var p = Vector256.Create(preGradients[e]);
            var x = Vector256.LoadUnsafe(ref outOrigin, offset);
            var y = Vector256.LoadUnsafe(ref inOrigin, offset);
            d0 = TMultiplyAdd.MultiplyAdd(a, x, d0);
            e0 = TMultiplyAdd.MultiplyAdd(p, y, e0);
        }

        d0.StoreUnsafe(ref dec);
        e0.StoreUnsafe(ref enc);
    }
    /// <summary>
    /// This thread's scratch for one latent's two gradient rows (cache-line aligned, kept across calls): the decoder row
    /// at 0 and the encoder row at <see cref="LatentRowStride"/>.
    /// </summary>
    private static Memory<float> LatentRowScratch(int d)
    {
        var length = 2 * LatentRowStride(d);
        if (t_latentRows.Length < length)
        {
            t_latentRows = AlignedMemory.Allocate(length);
        }

        return t_latentRows;
    }

    /// <summary>d rounded up to a multiple of 16 floats, so that both scratch rows start on a cache line.</summary>
    private static int LatentRowStride(int d) => (d + 15) / 16 * 16;
}
