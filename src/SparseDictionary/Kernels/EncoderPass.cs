using System.Buffers;
using System.Numerics.Tensors;
using SparseDictionary.Kernels;

namespace SparseDictionary.Kernels;

/// <summary>What the encoder pass should also extract for the dead latents (AuxK): the top-k pre-activations among them.</summary>
/// <param name="DeadLatents">Indices of the dead latents, ascending.</param>
/// <param name="Codes">Receives, per row, up to <c>Codes.Capacity</c> positive pre-activations among the dead latents, largest first.</param>
internal sealed record DeadLatentRequest(int[] DeadLatents, SparseCodes Codes);

/// <summary>
/// The fused encoder: pre = (x - b_dec) W_enc^T + b_enc is computed in blocks of rows into per-block scratch, and the
/// activation (and the dead-latent selection) consumes each block at once, so the batch x latents pre-activation
/// matrix is never stored whole. With TopK and a large dictionary the rows' blocks are themselves produced in column
/// chunks and each row keeps a running top k (<see cref="RunTopKStreaming"/>), so not even a whole row is stored.
/// </summary>
internal static class EncoderPass
{
    /// <summary>Rows per block: a multiple of the GEMM's 12-row block, small enough that a block's
    /// pre-activations stay in cache for the activation that consumes them.</summary>
    internal const int RowBlock = 96;

    /// <summary>Scratch arrays of the blocks (pre-activations, and centred rows when the caller keeps none), reused across calls.</summary>
    private static readonly List<Memory<float>> s_scratch = [];

    /// <summary>Encodes <paramref name="input"/> into <paramref name="codes"/>.</summary>
    /// <param name="sae">The model (read only).</param>
    /// <param name="input">Rows of width d, already validated.</param>
    /// <param name="codes">Receives the codes; Rows must equal input.Rows.</param>
    /// <param name="activePreActivations">When not null, receives each active entry's pre-activation, laid out like the codes.</param>
    /// <param name="centered">When not null, receives x - b_dec per row (kept for the encoder gradient).</param>
    /// <param name="dead">When not null, the dead-latent selection to extract from the same pre-activations.</param>
    /// <param name="packingBuffer">
    /// When not null and at least (latents rounded up to a multiple of 16) x d floats long, W_enc is packed into it
    /// (its contents are overwritten and then meaningless) instead of into a buffer rented for the call: a buffer that
    /// is dead during the encoder pass, such as the previous step's encoder gradient before it is cleared, saves the
    /// packed copy's memory (latents x d floats).
    /// </param>
    public static void Run(SparseAutoencoder sae, Matrix input, SparseCodes codes, float[]? activePreActivations, Matrix? centered, DeadLatentRequest? dead, float[]? packingBuffer = null)
    {
        var rows = input.Rows;

        // W_enc is packed into the GEMM's panel layout once per call and shared by every block.
        using var packed = Gemm.PackRight(true, sae.InputDimension, sae.LatentCount, sae.EncoderWeightsBuffer.Span, sae.InputDimension, destination: packingBuffer);
        var workers = Environment.ProcessorCount;
        if (StreamsTopK(sae) is { } k)
        {
            RunTopKStreaming(sae, k, packed, input, codes, activePreActivations, centered, dead, workers);
            return;
        }

        // A block's scratch holds its rows' pre-activations (and centred rows): it must fit one buffer, which only
        // dictionaries of more than about 14.9 million latents could break (computed in 64 bits).
        var maxScratchRows = Array.MaxLength / ((long)sae.LatentCount + (centered is null ? sae.InputDimension : 0));
        var blocks = BlockCount(rows, workers);
        if (blocks > 1)
        {
            // At most one block per core at a time: each block in flight holds rows x latents floats of scratch.
            var scratchRows = 0;
            for (var block = 0; block < blocks; block++)
            {
                scratchRows = Math.Max(scratchRows, BlockStart(block + 1, blocks, rows) - BlockStart(block, blocks, rows));
            }

            if (scratchRows <= maxScratchRows)
            {
                ForEachBlock(blocks, workers, block =>
                {
                    var first = BlockStart(block, blocks, rows);
                    RunBlock(sae, packed, input, first, BlockStart(block + 1, blocks, rows) - first, scratchRows, codes, activePreActivations, centered, dead, gemmParallelism: 1);
                });
                return;
            }
        }

        // One block after another (each row's codes do not depend on the blocking).
        var blockRows = (int)Math.Min(RowBlock, maxScratchRows);
        if (blockRows < 1)
        {
            // The constructor refuses such sizes; kept so that no path can allocate a negative or oversized buffer.
            throw new InvalidOperationException(
                $"The SAE has {sae.LatentCount} latents: one row of pre-activations and inputs ({sae.LatentCount} + {sae.InputDimension} floats) exceeds one buffer ({Array.MaxLength} floats).");
        }

        var serialScratchRows = Math.Min(blockRows, rows);
        for (var first = 0; first < rows; first += blockRows)
        {
            RunBlock(sae, packed, input, first, Math.Min(blockRows, rows - first), serialScratchRows, codes, activePreActivations, centered, dead, gemmParallelism: -1);
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> for every block on up to <paramref name="workers"/> threads; an exception of a block
    /// (e.g. an activation's output rejected by <see cref="ActivationOutput.Validate"/>) surfaces as it was thrown, not
    /// wrapped in an <see cref="AggregateException"/> (the first one when several blocks fail).
    /// </summary>
    private static void ForEachBlock(int blocks, int workers, Action<int> body)
    {
        try
        {
            Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = workers }, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
    }

    /// <summary>
    /// The number of row blocks run in parallel, one GEMM thread each: about rows / <see cref="RowBlock"/>, rounded to
    /// a multiple of the core count so that every core gets the same number of rows (11 blocks of 96 rows on 2 cores
    /// leave one core idle for the last block); 1 when there are too few rows for two blocks per core, in which case
    /// the blocks run one after another, each GEMM on every core.
    /// </summary>
    internal static int BlockCount(int rows, int workers)
    {
        var blocks = (rows + RowBlock - 1) / RowBlock;
        if (blocks < 2 * workers)
        {
            return 1;
        }

        // Round down (larger blocks stream the packed encoder fewer times) unless the blocks would grow past 1.5 x RowBlock.
        var down = blocks / workers * workers;
        return rows <= down * (RowBlock + (RowBlock / 2)) ? down : (blocks + workers - 1) / workers * workers;
    }

    /// <summary>
    /// The first row of block <paramref name="block"/> of <paramref name="blocks"/>: an even share of the rows, on a
    /// multiple of two GEMM micro-panels (12 rows, the height of the AVX-512 block kernel, which would otherwise run a
    /// block's odd last panel at half width).
    /// </summary>
    internal static int BlockStart(int block, int blocks, int rows) =>
        block >= blocks ? rows : (int)((long)block * rows / blocks / (2 * Gemm.MR) * (2 * Gemm.MR));

    /// <summary>
    /// The k of the streamed TopK encoder when it applies, else null: the activation declares <see cref="ITopKActivation"/>
    /// and a <see cref="RowBlock"/>-row block of pre-activations would not fit in 1 MiB of L2 (with a small dictionary
    /// the whole-row blocks are faster: one selection per row instead of one merge per chunk).
    /// </summary>
    internal static int? StreamsTopK(SparseAutoencoder sae) =>
        sae.Activation is ITopKActivation topK && (long)RowBlock * sae.LatentCount * sizeof(float) > StreamingMinimumBlockBytes ? topK.K : null;

    /// <summary>The size of a <see cref="RowBlock"/>-row block of pre-activations above which the TopK encoder streams.</summary>
    internal const long StreamingMinimumBlockBytes = 1L << 20;

    /// <summary>The most rows of a streaming block: its packed x - b_dec (rows x d floats) stays within 1 MiB, in L2.</summary>
    internal static int StreamingBlockRows(int d) => Math.Max(2 * Gemm.MR, Gemm.StripMaxPackedA / d / (2 * Gemm.MR) * (2 * Gemm.MR));

    /// <summary>Columns of a streaming chunk: the block's chunk of pre-activations (rows x columns floats) stays within 512 KB, in L2; a multiple of 32.</summary>
    internal static int StreamingChunkColumns(int blockRows, int latents) =>
        Math.Min(Gemm.CeilDiv(latents, Gemm.StripColumns) * Gemm.StripColumns, Math.Max(Gemm.StripColumns, 131072 / blockRows / Gemm.StripColumns * Gemm.StripColumns));

    /// <summary>
    /// The TopK encoder, streamed: the rows are cut into blocks whose packed input stays in L2 (one block per core at
    /// a time); each block's pre-activations are computed in column chunks that stay in
    /// L2 (<see cref="Gemm.MultiplyStrips"/>), and every row's running top k takes in each chunk as it is produced
    /// (<see cref="RunningTopK"/>). The batch x latents pre-activations are never stored, whatever the latent count,
    /// and the packed W_enc is streamed once per block (a few times per batch) instead of once per 96 rows. The dead
    /// latents' selection runs alongside on each chunk's dead entries (a second running top k, then sorted by
    /// decreasing value). The codes are those of <see cref="TopKActivation.Forward"/> and
    /// <see cref="HeapTopK.SelectFromSubset"/> on whole rows, bit for bit.
    /// </summary>
    private static void RunTopKStreaming(SparseAutoencoder sae, int k, PackedRightOperand packedEncoder, Matrix input, SparseCodes codes, float[]? activePre, Matrix? centered, DeadLatentRequest? dead, int workers)
    {
        var rows = input.Rows;
        var maxBlockRows = StreamingBlockRows(sae.InputDimension);

        // A block's running top k holds 3 max(k, k_aux) candidates per row: keep them within one buffer (computed in
        // 64 bits; it binds only for k in the thousands with a tiny input dimension, and each row's codes do not
        // depend on the blocking). A block may exceed rows / blocks by one 2-panel step.
        var candidatesPerRow = 3L * Math.Max(k, dead?.Codes.Capacity ?? 0);
        var fittingRows = (Array.MaxLength / candidatesPerRow) - (2 * Gemm.MR);
        if (fittingRows < 2 * Gemm.MR)
        {
            throw new InvalidOperationException(
                $"TopK with k = {Math.Max(k, dead?.Codes.Capacity ?? 0)} keeps {candidatesPerRow} candidates per row in the streamed encoder; {4 * Gemm.MR} rows of them exceed one buffer ({Array.MaxLength} entries). Use k (and AuxK's k_aux) of at most {Array.MaxLength / (4 * Gemm.MR) / 3}.");
        }

        maxBlockRows = (int)Math.Min(maxBlockRows, fittingRows);
        var blocks = Gemm.CeilDiv(rows, maxBlockRows);
        if (rows >= 2 * Gemm.MR * workers)
        {
            blocks = Gemm.CeilDiv(blocks, workers) * workers;
        }

        var path = KernelPaths.Current;
        ForEachBlock(blocks, workers, block =>
        {
            var first = BlockStart(block, blocks, rows);
            var count = BlockStart(block + 1, blocks, rows) - first;
            if (count > 0)
            {
                StreamBlock(sae, k, packedEncoder, input, first, count, codes, activePre, centered, dead, path);
            }
        });
    }

    /// <summary>One block of <see cref="RunTopKStreaming"/>: rows [first, first + count).</summary>
    private static void StreamBlock(SparseAutoencoder sae, int k, PackedRightOperand packedEncoder, Matrix input, int first, int count, SparseCodes codes, float[]? activePre, Matrix? centered, DeadLatentRequest? dead, KernelPath path)
    {
        var d = sae.InputDimension;
        var h = sae.LatentCount;
        var chunk = StreamingChunkColumns(count, h);
        var scratch = RentScratch((count * chunk) + (centered is null ? count * d : 0));
        var deadLatents = dead is null ? [] : dead.DeadLatents;
        var gathered = ArrayPool<float>.Shared.Rent(Math.Min(deadLatents.Length, chunk));
        try
        {
            var xc = centered is null ? scratch.Span.Slice(count * chunk, count * d) : centered.Span.Slice(first * d, count * d);
            ReadOnlySpan<float> bDec = sae.DecoderBiasBuffer.Span;
            for (var r = 0; r < count; r++)
            {
                TensorPrimitives.Subtract(input.Row(first + r), bDec, xc.Slice(r * d, d));
            }

            using var left = Gemm.PackLeft(false, count, d, xc, d);
            using var running = new RunningTopK(count, k);
            using var deadRunning = dead is null ? null : new RunningTopK(count, dead.Codes.Capacity);
            running.Reset(count);
            deadRunning?.Reset(count);
            var deadFirst = 0;
            ReadOnlySpan<float> bEnc = sae.EncoderBiasBuffer.Span;
            for (var c0 = 0; c0 < h; c0 += chunk)
            {
                var width = Math.Min(chunk, h - c0);
                var pre = scratch.Span[..(count * width)];
                Gemm.MultiplyStrips(left, packedEncoder, c0, width, 1f, 0f, pre, width);
                var bias = bEnc.Slice(c0, width);

                // The dead latents in this chunk: a run of the ascending list.
                var deadEnd = deadFirst;
                while (deadEnd < deadLatents.Length && deadLatents[deadEnd] < c0 + width)
                {
                    deadEnd++;
                }

                var deadColumns = deadLatents.AsSpan(deadFirst, deadEnd - deadFirst);
                var deadValues = gathered.AsSpan(0, deadColumns.Length);
                for (var r = 0; r < count; r++)
                {
                    var row = pre.Slice(r * width, width);
                    TensorPrimitives.Add(row, bias, row);
                    running.Add(r, row, c0, path);
                    if (!deadColumns.IsEmpty)
                    {
                        for (var j = 0; j < deadColumns.Length; j++)
                        {
                            deadValues[j] = row[deadColumns[j] - c0];
                        }

                        deadRunning!.Add(r, deadValues, deadColumns, path);
                    }
                }

                deadFirst = deadEnd;
            }

            for (var r = 0; r < count; r++)
            {
                var b = first + r;
                codes.SetCount(b, 0);
                var active = running.Finish(r, codes.IndexSlot(b), codes.ValueSlot(b));
                ActivationOutput.Validate(sae.Activation, b, active, k, h, codes.IndexSlot(b), codes.ValueSlot(b), default);
                codes.SetCount(b, active);
                if (activePre is not null)
                {
                    codes.ValueSlot(b)[..active].CopyTo(activePre.AsSpan(b * codes.Capacity, active));
                }

                if (dead is not null)
                {
                    var auxIndices = dead.Codes.IndexSlot(b);
                    var auxValues = dead.Codes.ValueSlot(b);
                    var auxCount = deadRunning!.Finish(r, auxIndices, auxValues);
                    SortByDecreasingValue(auxIndices[..auxCount], auxValues[..auxCount]);
                    dead.Codes.SetCount(b, auxCount);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(gathered);
            ReturnScratch(scratch);
        }
    }

    /// <summary>
    /// Sorts positive entries by decreasing value, ties by increasing index (the order of
    /// <see cref="HeapTopK.SelectFromSubset"/>): for positive floats the bit pattern grows with the value, so the
    /// key (~bits, index) sorts ascending into that order.
    /// </summary>
    private static void SortByDecreasingValue(Span<int> indices, Span<float> values)
    {
        var n = indices.Length;
        if (n < 2)
        {
            return;
        }

        var keys = ArrayPool<ulong>.Shared.Rent(n);
        try
        {
            for (var j = 0; j < n; j++)
            {
                keys[j] = ((ulong)~BitConverter.SingleToUInt32Bits(values[j]) << 32) | (uint)indices[j];
            }

            var sorted = keys.AsSpan(0, n);
            sorted.Sort();
            for (var j = 0; j < n; j++)
            {
                indices[j] = (int)(uint)sorted[j];
                values[j] = BitConverter.UInt32BitsToSingle(~(uint)(sorted[j] >> 32));
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(keys);
        }
    }

    private static void RunBlock(SparseAutoencoder sae, PackedRightOperand packedEncoder, Matrix input, int firstRow, int rowCount, int scratchRows, SparseCodes codes, float[]? activePre, Matrix? centered, DeadLatentRequest? dead, int gemmParallelism)
    {
        var d = sae.InputDimension;
        var h = sae.LatentCount;
        var scratch = RentScratch(scratchRows * (h + (centered is null ? d : 0)));
        try
        {
            var pre = scratch.Span[..(rowCount * h)];
            var xc = centered is null ? scratch.Span.Slice(scratchRows * h, rowCount * d) : centered.Span.Slice(firstRow * d, rowCount * d);
            ReadOnlySpan<float> bDec = sae.DecoderBiasBuffer.Span;
            for (var r = 0; r < rowCount; r++)
            {
                TensorPrimitives.Subtract(input.Row(firstRow + r), bDec, xc.Slice(r * d, d));
            }

            var preSpan = pre;
            Gemm.Multiply(false, rowCount, 1f, xc, d, packedEncoder, 0f, preSpan, h, gemmParallelism);
            ReadOnlySpan<float> bEnc = sae.EncoderBiasBuffer.Span;
            var capacity = codes.Capacity;
            for (var r = 0; r < rowCount; r++)
            {
                var row = preSpan.Slice(r * h, h);
                TensorPrimitives.Add(row, bEnc, row);
                var b = firstRow + r;
                var indices = codes.IndexSlot(b);
                var values = codes.ValueSlot(b);

                // The row holds no latent until the activation's output is accepted (its slot is overwritten first).
                codes.SetCount(b, 0);
                var count = sae.Activation.Forward(row, indices, values);

                // The one place where a plug-in's output enters the codes: nothing unchecked reaches the sparse kernels.
                ActivationOutput.Validate(sae.Activation, b, count, sae.Capacity, h, indices, values, row);
                codes.SetCount(b, count);
                if (activePre is not null)
                {
                    var dest = activePre.AsSpan(b * capacity, count);
                    for (var j = 0; j < count; j++)
                    {
                        dest[j] = row[indices[j]];
                    }
                }

                if (dead is not null)
                {
                    var auxIndices = dead.Codes.IndexSlot(b);
                    var auxValues = dead.Codes.ValueSlot(b);
                    var auxCount = HeapTopK.SelectFromSubset(row, dead.DeadLatents, dead.Codes.Capacity, auxIndices, auxValues);
                    while (auxCount > 0 && !(auxValues[auxCount - 1] > 0))
                    {
                        auxCount--;
                    }

                    dead.Codes.SetCount(b, auxCount);
                }
            }
        }
        finally
        {
            ReturnScratch(scratch);
        }
    }

    /// <summary>
    /// An array of at least <paramref name="length"/> floats from the encoder's own scratch pool (the smallest that
    /// fits), else a new one. Unlike the shared <see cref="ArrayPool{T}"/>, whose per-thread slots strand one array on
    /// each pool thread that ever ran a block (a C2 block is 6.5 MB), this pool holds only what was in flight at once.
    /// </summary>
    private static Memory<float> RentScratch(int length)
    {
        lock (s_scratch)
        {
            var best = -1;
            for (var i = 0; i < s_scratch.Count; i++)
            {
                if (s_scratch[i].Length >= length && (best < 0 || s_scratch[i].Length < s_scratch[best].Length))
                {
                    best = i;
                }
            }

            if (best >= 0)
            {
                var array = s_scratch[best];
                s_scratch.RemoveAt(best);
                return array;
            }
        }

        // Cache-line aligned: the GEMM writes its rows and the activation scans them.
        return AlignedMemory.Allocate(length);
    }

    /// <summary>Gives a scratch array back, keeping at most two per core (the smallest are dropped first).</summary>
    private static void ReturnScratch(Memory<float> array)
    {
        lock (s_scratch)
        {
            s_scratch.Add(array);
            if (s_scratch.Count > 2 * Environment.ProcessorCount)
            {
                var smallest = 0;
                for (var i = 1; i < s_scratch.Count; i++)
                {
                    if (s_scratch[i].Length < s_scratch[smallest].Length)
                    {
                        smallest = i;
                    }
                }

                s_scratch.RemoveAt(smallest);
            }
        }
    }
}
