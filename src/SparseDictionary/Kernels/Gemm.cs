using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace SparseDictionary.Kernels;

/// <summary>
/// Packed, cache-blocked, multi-threaded single-precision matrix multiplication:
/// <c>C = alpha * op(A) * op(B) + beta * C</c>, all matrices row-major.
/// </summary>
/// <remarks>
/// <para>
/// Structure (GotoBLAS / BLIS): C is cut into column blocks of up to <see cref="NcMaxPanels"/> * <see cref="NR"/>
/// columns; the depth into blocks of at most <see cref="KcMax"/>; for each (column block, depth block) the block of
/// op(B) is packed into <see cref="NR"/>-column micro-panels (kept in L3 / L2), then C's rows are cut into row blocks
/// of up to <see cref="McMaxPanels"/> * <see cref="MR"/> rows; each row block of op(A) is packed into
/// <see cref="MR"/>-row micro-panels (kept in L2) and multiplied, one B micro-panel (kept in L1) at a time, by the
/// <see cref="MR"/> x <see cref="NR"/> register-tiled micro-kernel of the selected <see cref="KernelPath"/>.
/// A single-thread call with a pre-packed op(B) and a small op(A) (the encoder's row blocks) runs the same
/// micro-kernels in another order: op(A) packed whole, then C in strips of 32 columns, every depth block of a strip
/// in turn, so that the strip stays in L1 between depth blocks (<see cref="ExecuteStrips"/>).
/// </para>
/// <para>
/// Determinism: every element of C is produced by the same micro-kernel from its own row of op(A) and column of
/// op(B): accumulated from zero over each depth block in increasing order, then combined with C; the depth blocking
/// depends only on k (<see cref="DepthBlock"/>). Row blocks, column blocks and the split of work between threads
/// only decide which thread computes which tiles, never how, so results are bit-identical for any number of
/// threads, any partition, and between <see cref="Multiply(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, int)"/>
/// and the pre-packed overload. Edge tiles are computed in full on a zero-padded copy, by the same micro-kernel.
/// The depth is never split between threads.
/// </para>
/// <para>
/// Paths: <see cref="KernelPath.Avx2Fma"/> uses fused multiply-add (<c>acc = fma(a, b, acc)</c>, then
/// <c>fma(alpha, acc, beta * c)</c>); <see cref="KernelPath.Vector256"/> and <see cref="KernelPath.Scalar"/> round
/// the product and the sum separately and give identical results to each other.
/// </para>
/// </remarks>
internal static unsafe class Gemm
{
    /// <summary>Rows of the micro-kernel's register tile.</summary>
    internal const int MR = 6;

    /// <summary>Columns of the micro-kernel's register tile (two 8-float vectors).</summary>
    internal const int NR = 16;

    /// <summary>The largest depth block: a B micro-panel (<c>KcMax * NR</c> floats, 16 KiB) stays in L1.</summary>
    internal const int KcMax = 256;

    /// <summary>The largest row block, in micro-panels (144 rows): a packed A block (144 KiB at <see cref="KcMax"/>) stays in L2.</summary>
    internal const int McMaxPanels = 24;

    /// <summary>The largest column block, in micro-panels (4096 columns): a packed B block is 4 MiB at <see cref="KcMax"/>.</summary>
    internal const int NcMaxPanels = 256;

    /// <summary>Packed buffers start on a 64-byte boundary: this many floats of slack are rented for the alignment.</summary>
    internal const int AlignmentFloats = 16;

    /// <summary>The length of an A-packing buffer: the largest packed A block, alignment slack and the packer's slack.</summary>
    internal const int PackABufferLength = (McMaxPanels * MR * KcMax) + AlignmentFloats + GemmPacking.Slack;

    /// <summary>Below this many multiply-adds (m * n * k) a call runs on the calling thread only.</summary>
    private const long ParallelThreshold = 1L << 21;

    /// <summary>
    /// Computes <c>C = alpha * op(A) * op(B) + beta * C</c>, where C is <paramref name="m"/> x <paramref name="n"/>,
    /// op(A) is <paramref name="m"/> x <paramref name="k"/> and op(B) is <paramref name="k"/> x <paramref name="n"/>.
    /// </summary>
    /// <param name="transposeA">If <see langword="false"/>, A is stored as m x k and op(A) = A; otherwise A is stored as k x m and op(A) = A^T.</param>
    /// <param name="transposeB">If <see langword="false"/>, B is stored as k x n and op(B) = B; otherwise B is stored as n x k and op(B) = B^T.</param>
    /// <param name="m">Rows of C and op(A).</param>
    /// <param name="n">Columns of C and op(B).</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">The scale of the product. 0 skips the product (C = beta * C, even if A or B hold NaN).</param>
    /// <param name="a">The stored A, row-major.</param>
    /// <param name="lda">The row stride of the stored A (at least its column count).</param>
    /// <param name="b">The stored B, row-major.</param>
    /// <param name="ldb">The row stride of the stored B (at least its column count).</param>
    /// <param name="beta">The scale of the old C. 0 means C is write-only: its old contents (even NaN) are ignored.</param>
    /// <param name="c">C, row-major; must not overlap <paramref name="a"/> or <paramref name="b"/>.</param>
    /// <param name="ldc">The row stride of C (at least <paramref name="n"/>).</param>
    /// <param name="maxDegreeOfParallelism">-1 to use all cores, 1 to run on the calling thread only, or a thread cap. Results do not depend on it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, a stride is too small, or <paramref name="maxDegreeOfParallelism"/> is 0 or below -1.</exception>
    /// <exception cref="ArgumentException">A span is too short for its matrix.</exception>
    internal static void Multiply(
        bool transposeA,
        bool transposeB,
        int m,
        int n,
        int k,
        float alpha,
        ReadOnlySpan<float> a,
        int lda,
        ReadOnlySpan<float> b,
        int ldb,
        float beta,
        Span<float> c,
        int ldc,
        int maxDegreeOfParallelism = -1)
    {
        ValidateDimension(m, nameof(m));
        ValidateDimension(n, nameof(n));
        ValidateDimension(k, nameof(k));
        ValidateParallelism(maxDegreeOfParallelism);
        ValidateLeft(transposeA, m, k, a, lda);
        ValidateRight(transposeB, k, n, b, ldb);
        ValidateOutput(m, n, c, ldc);

        if (m == 0 || n == 0)
        {
            return;
        }

        KernelPath path = KernelPaths.Current;
        if (k == 0 || alpha == 0f)
        {
            Scale(path, m, n, beta, c, ldc);
            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            var problem = new GemmProblem
            {
                Path = path,
                TransposeA = transposeA,
                TransposeB = transposeB,
                M = m,
                N = n,
                K = k,
                Alpha = alpha,
                A = pa,
                Lda = lda,
                B = pb,
                Ldb = ldb,
                C = pc,
                Ldc = ldc,
            };
            Execute(in problem, packedB: null, 0, beta, maxDegreeOfParallelism);
        }
    }

    /// <summary>Packs op(B) once, to multiply many left operands by it with the pre-packed <c>Multiply</c> overload.</summary>
    /// <param name="transposeB">If <see langword="false"/>, B is stored as k x n and op(B) = B; otherwise B is stored as n x k and op(B) = B^T.</param>
    /// <param name="k">Rows of op(B).</param>
    /// <param name="n">Columns of op(B).</param>
    /// <param name="b">The stored B, row-major.</param>
    /// <param name="ldb">The row stride of the stored B (at least its column count).</param>
    /// <param name="maxDegreeOfParallelism">-1 to use all cores, 1 to pack on the calling thread only, or a thread cap.</param>
    /// <param name="destination">A buffer to pack into (its contents are overwritten) when it holds the packed operand
    /// (k x n rounded up to whole micro-panels; 64-byte aligned only if it has room for that too), so no buffer is
    /// rented; <see langword="null"/> or too short: a pooled buffer.</param>
    /// <returns>The packed operand; dispose it to return its pooled buffer.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, the stride is too small, or <paramref name="maxDegreeOfParallelism"/> is 0 or below -1.</exception>
    /// <exception cref="ArgumentException"><paramref name="b"/> is too short.</exception>
    internal static PackedRightOperand PackRight(bool transposeB, int k, int n, ReadOnlySpan<float> b, int ldb, int maxDegreeOfParallelism = -1, float[]? destination = null)
    {
        ValidateDimension(k, nameof(k));
        ValidateDimension(n, nameof(n));
        ValidateParallelism(maxDegreeOfParallelism);
        ValidateRight(transposeB, k, n, b, ldb);

        var packed = new PackedRightOperand(k, n, destination);
        if (k == 0 || n == 0)
        {
            return packed;
        }

        KernelPath path = KernelPaths.Current;
        int threads = ResolveThreads(maxDegreeOfParallelism, (long)k * n * 64);
        GemmWorkerTeam? team = threads > 1 ? GemmWorkerTeam.TryAcquire() : null;
        try
        {
            float[] buffer = packed.GetBuffer();
            fixed (float* pb = b, raw = buffer)
            {
                float* data = Align(raw);
                if (data - raw + packed.Length > buffer.Length)
                {
                    // A lent buffer without room to align: pack at its start.
                    data = raw;
                }

                packed.Offset = (int)(data - raw);
                var problem = new GemmProblem
                {
                    Path = path,
                    TransposeB = transposeB,
                    K = k,
                    N = n,
                    B = pb,
                    Ldb = ldb,
                };
                int participants = team is null ? 1 : Math.Min(threads, team.HelperCount + 1);
                team?.BeginRegion(in problem, participants);
                try
                {
                    int nPanels = packed.PaddedColumns / NR;
                    int kc = DepthBlock(k);
                    for (int p0 = 0; p0 < k; p0 += kc)
                    {
                        var phase = new GemmPhase
                        {
                            Kind = GemmPhaseKind.PackB,
                            ItemCount = Math.Min(nPanels, 4 * participants),
                            Col0 = 0,
                            Cols = n,
                            Panels = nPanels,
                            P0 = p0,
                            Kc = Math.Min(kc, k - p0),
                            PackedB = data + ((nint)p0 * packed.PaddedColumns),
                        };
                        RunPhase(team, in problem, in phase, null);
                    }
                }
                finally
                {
                    team?.EndRegion();
                }
            }
        }
        catch
        {
            packed.Dispose();
            throw;
        }
        finally
        {
            if (team is not null)
            {
                GemmWorkerTeam.Release();
            }
        }

        return packed;
    }

    /// <summary>
    /// Computes <c>C = alpha * op(A) * op(B) + beta * C</c> with op(B) pre-packed by <see cref="PackRight"/>;
    /// bit-identical to the unpacked overload on the same data.
    /// </summary>
    /// <param name="transposeA">If <see langword="false"/>, A is stored as m x k and op(A) = A; otherwise A is stored as k x m and op(A) = A^T.</param>
    /// <param name="m">Rows of C and op(A).</param>
    /// <param name="alpha">The scale of the product. 0 skips the product.</param>
    /// <param name="a">The stored A, row-major.</param>
    /// <param name="lda">The row stride of the stored A (at least its column count).</param>
    /// <param name="b">The packed op(B); it gives k (<see cref="PackedRightOperand.Depth"/>) and n (<see cref="PackedRightOperand.Columns"/>).</param>
    /// <param name="beta">The scale of the old C. 0 means C is write-only.</param>
    /// <param name="c">C, row-major, m x n; must not overlap <paramref name="a"/>.</param>
    /// <param name="ldc">The row stride of C (at least n).</param>
    /// <param name="maxDegreeOfParallelism">-1 to use all cores, 1 to run on the calling thread only, or a thread cap. Results do not depend on it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="b"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="b"/> has been disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">m is negative, a stride is too small, or <paramref name="maxDegreeOfParallelism"/> is 0 or below -1.</exception>
    /// <exception cref="ArgumentException">A span is too short for its matrix.</exception>
    internal static void Multiply(
        bool transposeA,
        int m,
        float alpha,
        ReadOnlySpan<float> a,
        int lda,
        PackedRightOperand b,
        float beta,
        Span<float> c,
        int ldc,
        int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(b);
        float[] buffer = b.GetBuffer();
        int n = b.Columns;
        int k = b.Depth;
        ValidateDimension(m, nameof(m));
        ValidateParallelism(maxDegreeOfParallelism);
        ValidateLeft(transposeA, m, k, a, lda);
        ValidateOutput(m, n, c, ldc);

        if (m == 0 || n == 0)
        {
            return;
        }

        KernelPath path = KernelPaths.Current;
        if (k == 0 || alpha == 0f)
        {
            Scale(path, m, n, beta, c, ldc);
            return;
        }

        fixed (float* pa = a, pc = c, raw = buffer)
        {
            var problem = new GemmProblem
            {
                Path = path,
                TransposeA = transposeA,
                TransposeB = false,
                M = m,
                N = n,
                K = k,
                Alpha = alpha,
                A = pa,
                Lda = lda,
                C = pc,
                Ldc = ldc,
            };
            Execute(in problem, raw + b.Offset, b.PaddedColumns, beta, maxDegreeOfParallelism);
        }
    }

    /// <summary>The depth blocking: k is cut into <c>ceil(k / KcMax)</c> blocks of this depth (the last may be shorter).</summary>
    /// <param name="k">The depth, at least 1.</param>
    /// <returns>The nominal block depth. It depends on k only, which keeps results independent of everything else.</returns>
    internal static int DepthBlock(int k) => CeilDiv(k, CeilDiv(k, KcMax));

    /// <summary>Integer division rounding up, for non-negative operands.</summary>
    /// <param name="x">The dividend.</param>
    /// <param name="y">The divisor, positive.</param>
    /// <returns><c>ceil(x / y)</c>.</returns>
    internal static int CeilDiv(int x, int y) => (int)(((long)x + y - 1) / y);

    /// <summary>Rounds a pointer up to the next 64-byte boundary.</summary>
    /// <param name="p">A pointer into a buffer with at least <see cref="AlignmentFloats"/> floats of slack.</param>
    /// <returns>The aligned pointer.</returns>
    internal static float* Align(float* p) => (float*)(((nuint)p + 63) & ~(nuint)63);

    /// <summary>Runs one work item of a phase (called by the caller's thread and by team helpers).</summary>
    /// <param name="problem">The problem.</param>
    /// <param name="phase">The phase.</param>
    /// <param name="item">The item index, below <see cref="GemmPhase.ItemCount"/>.</param>
    /// <param name="packA">The running thread's aligned A-packing buffer (<see cref="PackABufferLength"/>); unused by pack phases.</param>
    internal static void RunItem(in GemmProblem problem, in GemmPhase phase, int item, float* packA)
    {
        if (phase.Kind == GemmPhaseKind.PackB)
        {
            int s0 = Split(phase.Panels, phase.ItemCount, item);
            int s1 = Split(phase.Panels, phase.ItemCount, item + 1);
            int first = s0 * NR;
            int count = Math.Min(s1 * NR, phase.Cols) - first;
            if (count > 0)
            {
                GemmPacking.PackB(problem.Path, problem.TransposeB, problem.B, problem.Ldb, phase.Col0 + first, count, phase.P0, phase.Kc, phase.PackedB + ((nint)first * phase.Kc));
            }

            return;
        }

        int rowBlock = item / phase.ColChunks;
        int chunk = item - (rowBlock * phase.ColChunks);
        int mPanels = CeilDiv(problem.M, MR);
        int row0 = SplitPanels(mPanels, phase.RowBlocks, rowBlock) * MR;
        int rows = Math.Min(SplitPanels(mPanels, phase.RowBlocks, rowBlock + 1) * MR, problem.M) - row0;
        int col0 = SplitPanels(phase.Panels, phase.ColChunks, chunk) * NR;
        int cols = Math.Min(SplitPanels(phase.Panels, phase.ColChunks, chunk + 1) * NR, phase.Cols) - col0;
        if (rows <= 0 || cols <= 0)
        {
            return;
        }

        GemmPacking.PackA(problem.Path, problem.TransposeA, problem.A, problem.Lda, row0, rows, phase.P0, phase.Kc, packA);
        float* b = phase.PackedB + ((nint)col0 * phase.Kc);
        float* c = problem.C + (row0 * problem.Ldc) + phase.Col0 + col0;
        RunMacroKernel(problem.Path, rows, cols, phase.Kc, packA, b, c, problem.Ldc, problem.Alpha, phase.Beta);
    }

    /// <summary>Multiplies a packed A block by packed B micro-panels into C with the macro-kernel of <paramref name="path"/>.</summary>
    /// <param name="path">The kernel path.</param>
    /// <param name="rows">Rows of the C block.</param>
    /// <param name="cols">Columns of the C block.</param>
    /// <param name="kc">The depth.</param>
    /// <param name="a">The packed A block.</param>
    /// <param name="b">The packed B micro-panels.</param>
    /// <param name="c">The C block's top-left element.</param>
    /// <param name="ldc">The row stride of C.</param>
    /// <param name="alpha">The scale of the product.</param>
    /// <param name="beta">The scale of the old C (0: write-only).</param>
    private static void RunMacroKernel(KernelPath path, int rows, int cols, int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        switch (path)
        {
            case KernelPath.Avx512Fma:
                MacroKernelAvx512(rows, cols, kc, a, b, c, ldc, alpha, beta);
                break;
            case KernelPath.Avx2Fma:
                MacroKernel<MicroKernel6x16<FusedMultiplyAdd>>(rows, cols, kc, a, b, c, ldc, alpha, beta);
                break;
            case KernelPath.Vector256:
                MacroKernel<MicroKernel6x16<MultiplyThenAdd>>(rows, cols, kc, a, b, c, ldc, alpha, beta);
                break;
            default:
                MacroKernel<ScalarMicroKernel>(rows, cols, kc, a, b, c, ldc, alpha, beta);
                break;
        }
    }

    /// <summary>Runs the blocked loops of one multiplication whose operands have been validated and pinned.</summary>
    /// <param name="problem">The problem (m, n, k at least 1, alpha non-zero).</param>
    /// <param name="packedB">The pre-packed op(B), or <see langword="null"/> to pack <see cref="GemmProblem.B"/> block by block.</param>
    /// <param name="paddedColumns">With <paramref name="packedB"/>: its padded column count.</param>
    /// <param name="beta">The caller's beta.</param>
    /// <param name="maxDegreeOfParallelism">The caller's thread cap.</param>
    private static void Execute(in GemmProblem problem, float* packedB, int paddedColumns, float beta, int maxDegreeOfParallelism)
    {
        int m = problem.M;
        int n = problem.N;
        int k = problem.K;
        int kc = DepthBlock(k);
        int nPanels = CeilDiv(n, NR);
        int colBlocks = CeilDiv(nPanels, NcMaxPanels);
        int maxBlockPanels = Math.Min(nPanels, 2 * CeilDiv(CeilDiv(nPanels, 2), colBlocks));

        int threads = ResolveThreads(maxDegreeOfParallelism, (long)m * n * k);
        if (packedB is not null && threads == 1 && (long)CeilDiv(m, 2 * MR) * 2 * MR * k <= StripMaxPackedA)
        {
            ExecuteStrips(in problem, packedB, paddedColumns, beta);
            return;
        }

        GemmWorkerTeam? team = threads > 1 ? GemmWorkerTeam.TryAcquire() : null;
        int participants = team is null ? 1 : Math.Min(threads, team.HelperCount + 1);
        float[] aBuffer = ArrayPool<float>.Shared.Rent(PackABufferLength);
        float[]? bBuffer = packedB is null ? ArrayPool<float>.Shared.Rent((maxBlockPanels * NR * kc) + AlignmentFloats) : null;
        try
        {
            fixed (float* aRaw = aBuffer, bRaw = bBuffer)
            {
                float* packA = Align(aRaw);
                team?.BeginRegion(in problem, participants);
                try
                {
                    for (int colBlock = 0; colBlock < colBlocks; colBlock++)
                    {
                        int s0 = SplitPanels(nPanels, colBlocks, colBlock);
                        int s1 = SplitPanels(nPanels, colBlocks, colBlock + 1);
                        int col0 = s0 * NR;
                        int cols = Math.Min(s1 * NR, n) - col0;
                        int panels = s1 - s0;
                        PlanCompute(m, panels, participants, out int rowBlocks, out int colChunks);

                        for (int p0 = 0; p0 < k; p0 += kc)
                        {
                            int kcb = Math.Min(kc, k - p0);
                            float* blockB;
                            if (packedB is null)
                            {
                                blockB = Align(bRaw);
                                var pack = new GemmPhase
                                {
                                    Kind = GemmPhaseKind.PackB,
                                    ItemCount = Math.Min(panels, 4 * participants),
                                    Col0 = col0,
                                    Cols = cols,
                                    Panels = panels,
                                    P0 = p0,
                                    Kc = kcb,
                                    PackedB = blockB,
                                };
                                RunPhase(team, in problem, in pack, packA);
                            }
                            else
                            {
                                blockB = packedB + ((nint)p0 * paddedColumns) + ((nint)col0 * kcb);
                            }

                            var compute = new GemmPhase
                            {
                                Kind = GemmPhaseKind.Compute,
                                ItemCount = rowBlocks * colChunks,
                                Col0 = col0,
                                Cols = cols,
                                Panels = panels,
                                P0 = p0,
                                Kc = kcb,
                                PackedB = blockB,
                                Beta = p0 == 0 ? beta : 1f,
                                RowBlocks = rowBlocks,
                                ColChunks = colChunks,
                            };
                            RunPhase(team, in problem, in compute, packA);
                        }
                    }
                }
                finally
                {
                    team?.EndRegion();
                }
            }
        }
        finally
        {
            if (team is not null)
            {
                GemmWorkerTeam.Release();
            }

            ArrayPool<float>.Shared.Return(aBuffer);
            if (bBuffer is not null)
            {
                ArrayPool<float>.Shared.Return(bBuffer);
            }
        }
    }

    /// <summary>The largest packed op(A), in floats (1 MiB), for which a single-thread pre-packed call runs in strips.</summary>
    internal const int StripMaxPackedA = 256 * 1024;

    /// <summary>Columns of a strip: two B micro-panels, the width of the AVX-512 block kernel.</summary>
    internal const int StripColumns = 2 * NR;

    /// <summary>
    /// A single-thread product with pre-packed op(B) and a small op(A): op(A) is packed whole (<see cref="PackLeft"/>)
    /// and C computed in strips (<see cref="MultiplyStrips"/>).
    /// </summary>
    /// <param name="problem">The problem (m, n, k at least 1, alpha non-zero).</param>
    /// <param name="packedB">The pre-packed op(B).</param>
    /// <param name="paddedColumns">Its padded column count.</param>
    /// <param name="beta">The caller's beta.</param>
    private static void ExecuteStrips(in GemmProblem problem, float* packedB, int paddedColumns, float beta)
    {
        using var left = PackLeftOperand(in problem);
        fixed (float* raw = left.GetBuffer())
        {
            Strips(problem.Path, problem.M, problem.K, raw + left.Offset, left.PaddedRows, packedB, paddedColumns, 0, problem.N, problem.Alpha, beta, problem.C, problem.Ldc);
        }
    }

    /// <summary>Packs op(A) whole on the calling thread, for <see cref="MultiplyStrips"/> against column ranges of a packed op(B).</summary>
    /// <param name="transposeA">If <see langword="false"/>, A is stored as m x k and op(A) = A; otherwise A is stored as k x m and op(A) = A^T.</param>
    /// <param name="m">Rows of op(A), at least 1.</param>
    /// <param name="k">Columns of op(A), at least 1.</param>
    /// <param name="a">The stored A, row-major.</param>
    /// <param name="lda">The row stride of the stored A.</param>
    /// <returns>The packed operand; dispose it to return its pooled buffer.</returns>
    /// <exception cref="ArgumentOutOfRangeException">m or k is below 1, or the stride is too small.</exception>
    /// <exception cref="ArgumentException"><paramref name="a"/> is too short.</exception>
    internal static PackedLeftOperand PackLeft(bool transposeA, int m, int k, ReadOnlySpan<float> a, int lda)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ValidateLeft(transposeA, m, k, a, lda);
        fixed (float* pa = a)
        {
            var problem = new GemmProblem { Path = KernelPaths.Current, TransposeA = transposeA, M = m, K = k, A = pa, Lda = lda };
            return PackLeftOperand(in problem);
        }
    }

    /// <summary>
    /// Computes columns <c>[col0, col0 + cols)</c> of <c>alpha * op(A) * op(B) + beta * C</c> on the calling thread:
    /// <c>c[i * ldc + j]</c> (j below <paramref name="cols"/>) receives element (i, col0 + j). Bit-identical to the
    /// same elements of <see cref="Multiply(bool, int, float, ReadOnlySpan{float}, int, PackedRightOperand, float, Span{float}, int, int)"/>.
    /// </summary>
    /// <param name="a">op(A), packed whole.</param>
    /// <param name="b">op(B), pre-packed; its depth must equal <paramref name="a"/>'s.</param>
    /// <param name="col0">The first column, a multiple of <see cref="NR"/>.</param>
    /// <param name="cols">The number of columns, at least 1.</param>
    /// <param name="alpha">The scale of the product.</param>
    /// <param name="beta">The scale of the old C; 0 means C is write-only.</param>
    /// <param name="c">The block of C (m rows of stride <paramref name="ldc"/>, starting at column col0).</param>
    /// <param name="ldc">The row stride of C, at least <paramref name="cols"/>.</param>
    /// <exception cref="ArgumentException">The depths differ, or <paramref name="c"/> is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The column range is outside op(B) or col0 is not a multiple of <see cref="NR"/>, or the stride is too small.</exception>
    internal static void MultiplyStrips(PackedLeftOperand a, PackedRightOperand b, int col0, int cols, float alpha, float beta, Span<float> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Depth != b.Depth)
        {
            throw new ArgumentException($"op(A) has depth {a.Depth} but op(B) has depth {b.Depth}; they must be equal.", nameof(b));
        }

        if (col0 < 0 || col0 % NR != 0 || cols < 1 || (long)col0 + cols > b.Columns)
        {
            throw new ArgumentOutOfRangeException(nameof(col0), col0, $"Columns [{col0}, {(long)col0 + cols}) must lie in op(B)'s {b.Columns} columns and start on a multiple of {NR}.");
        }

        ValidateOutput(a.Rows, cols, c, ldc);
        fixed (float* aRaw = a.GetBuffer(), bRaw = b.GetBuffer(), pc = c)
        {
            Strips(a.Path, a.Rows, a.Depth, aRaw + a.Offset, a.PaddedRows, bRaw + b.Offset, b.PaddedColumns, col0, cols, alpha, beta, pc, ldc);
        }
    }

    /// <summary>Packs every depth block of op(A), all of its rows, into a new operand (depth block p0 at <c>p0 * PaddedRows</c>).</summary>
    /// <param name="problem">The problem: path, A, its stride and transpose, m and k (at least 1).</param>
    /// <returns>The packed operand.</returns>
    private static PackedLeftOperand PackLeftOperand(in GemmProblem problem)
    {
        var left = new PackedLeftOperand(problem.M, problem.K, problem.Path);
        fixed (float* raw = left.GetBuffer())
        {
            float* packA = Align(raw);
            left.Offset = (int)(packA - raw);
            int kc = DepthBlock(problem.K);
            for (int p0 = 0; p0 < problem.K; p0 += kc)
            {
                GemmPacking.PackA(problem.Path, problem.TransposeA, problem.A, problem.Lda, 0, problem.M, p0, Math.Min(kc, problem.K - p0), packA + ((nint)left.PaddedRows * p0));
            }
        }

        return left;
    }

    /// <summary>
    /// C in strips of <see cref="StripColumns"/> columns, every depth block of a strip in turn, so that the strip of C
    /// (rows x 32 floats) stays in L1 between depth blocks instead of being written to and read back from memory once
    /// per depth block. Each element is still accumulated from zero per depth block and combined with C in increasing
    /// depth order by the same macro-kernel: the bits are those of the blocked loops.
    /// </summary>
    /// <param name="path">The kernel path.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="k">The depth.</param>
    /// <param name="packA">op(A), packed whole.</param>
    /// <param name="paddedRows">Its padded row count.</param>
    /// <param name="packedB">op(B), pre-packed.</param>
    /// <param name="paddedColumns">Its padded column count.</param>
    /// <param name="col0">The first column of op(B), a multiple of <see cref="NR"/>.</param>
    /// <param name="n">The number of columns.</param>
    /// <param name="alpha">The scale of the product.</param>
    /// <param name="beta">The scale of the old C.</param>
    /// <param name="c">The block of C for column col0.</param>
    /// <param name="ldc">The row stride of C.</param>
    private static void Strips(KernelPath path, int m, int k, float* packA, int paddedRows, float* packedB, int paddedColumns, int col0, int n, float alpha, float beta, float* c, nint ldc)
    {
        int kc = DepthBlock(k);
        for (int j = 0; j < n; j += StripColumns)
        {
            int cols = Math.Min(StripColumns, n - j);
            for (int p0 = 0; p0 < k; p0 += kc)
            {
                int kcb = Math.Min(kc, k - p0);
                float* b = packedB + ((nint)p0 * paddedColumns) + ((nint)(col0 + j) * kcb);
                RunMacroKernel(path, m, cols, kcb, packA + ((nint)paddedRows * p0), b, c + j, ldc, alpha, p0 == 0 ? beta : 1f);
            }
        }
    }

    /// <summary>
    /// Splits one (column block, depth block) of C into work items: row blocks of at most
    /// <see cref="McMaxPanels"/> micro-panels, and, when there are too few row blocks to keep every thread busy,
    /// column chunks. Only the work split depends on the thread count, never the results.
    /// </summary>
    /// <param name="m">Rows of C.</param>
    /// <param name="panels">B micro-panels in the column block.</param>
    /// <param name="participants">Threads taking part.</param>
    /// <param name="rowBlocks">The number of row blocks.</param>
    /// <param name="colChunks">The number of column chunks.</param>
    private static void PlanCompute(int m, int panels, int participants, out int rowBlocks, out int colChunks)
    {
        int mPairs = CeilDiv(m, 2 * MR);
        rowBlocks = CeilDiv(mPairs, McMaxPanels / 2);
        colChunks = 1;
        if (participants > 1)
        {
            if (rowBlocks >= 2 * participants)
            {
                // Equal-sized row blocks, a whole number per thread.
                rowBlocks = Math.Min(mPairs, CeilDiv(rowBlocks, participants) * participants);
            }
            else
            {
                // Few rows: also split the columns (the small A block is then packed once per chunk).
                colChunks = Math.Min(CeilDiv(panels, 2), CeilDiv(4 * participants, rowBlocks));
            }
        }
    }

    /// <summary>Runs a phase on the team, or on the calling thread item by item.</summary>
    /// <param name="team">The team, or <see langword="null"/> to run serially.</param>
    /// <param name="problem">The problem.</param>
    /// <param name="phase">The phase.</param>
    /// <param name="packA">The caller's aligned A-packing buffer.</param>
    private static void RunPhase(GemmWorkerTeam? team, in GemmProblem problem, in GemmPhase phase, float* packA)
    {
        if (team is not null)
        {
            team.RunPhase(in phase, packA);
            return;
        }

        for (int item = 0; item < phase.ItemCount; item++)
        {
            RunItem(in problem, in phase, item, packA);
        }
    }

    /// <summary>Multiplies a packed A block by a range of packed B micro-panels into C, tile by tile.</summary>
    /// <typeparam name="TKernel">The micro-kernel.</typeparam>
    /// <param name="rows">Rows of the C block.</param>
    /// <param name="cols">Columns of the C block.</param>
    /// <param name="kc">The depth.</param>
    /// <param name="a">The packed A block.</param>
    /// <param name="b">The packed B micro-panels.</param>
    /// <param name="c">The C block's top-left element.</param>
    /// <param name="ldc">The row stride of C.</param>
    /// <param name="alpha">The scale of the product.</param>
    /// <param name="beta">The scale of the old C (0: write-only).</param>
    private static void MacroKernel<TKernel>(int rows, int cols, int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
        where TKernel : IGemmMicroKernel
    {
        float* tile = stackalloc float[MR * NR];
        for (int j = 0; j < cols; j += NR)
        {
            int nr = Math.Min(NR, cols - j);
            float* bp = b + ((nint)j * kc);
            for (int i = 0; i < rows; i += MR)
            {
                int mr = Math.Min(MR, rows - i);
                float* ap = a + ((nint)i * kc);
                float* cp = c + (i * ldc) + j;
                if (mr == MR && nr == NR)
                {
                    TKernel.Run(kc, ap, bp, cp, ldc, alpha, beta);
                }
                else
                {
                    EdgeTile<TKernel>(mr, nr, kc, ap, bp, cp, ldc, alpha, beta, tile);
                }
            }
        }
    }

    /// <summary>
    /// The <see cref="KernelPath.Avx512Fma"/> macro-kernel: full 12 x 32 blocks on <see cref="Avx512FmaBlockKernel"/>,
    /// the rest (a last odd micro-panel of rows or columns, partial tiles) on the 6 x 16 AVX2 kernel, which gives the
    /// same bits.
    /// </summary>
    /// <param name="rows">Rows of the C block.</param>
    /// <param name="cols">Columns of the C block.</param>
    /// <param name="kc">The depth.</param>
    /// <param name="a">The packed A block.</param>
    /// <param name="b">The packed B micro-panels.</param>
    /// <param name="c">The C block's top-left element.</param>
    /// <param name="ldc">The row stride of C.</param>
    /// <param name="alpha">The scale of the product.</param>
    /// <param name="beta">The scale of the old C (0: write-only).</param>
    private static void MacroKernelAvx512(int rows, int cols, int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        int blockRows = rows / Avx512FmaBlockKernel.Rows * Avx512FmaBlockKernel.Rows;
        int blockCols = cols / Avx512FmaBlockKernel.Columns * Avx512FmaBlockKernel.Columns;
        for (int j = 0; j < blockCols; j += Avx512FmaBlockKernel.Columns)
        {
            float* bp = b + ((nint)j * kc);
            for (int i = 0; i < blockRows; i += Avx512FmaBlockKernel.Rows)
            {
                Avx512FmaBlockKernel.Run(kc, a + ((nint)i * kc), bp, c + (i * ldc) + j, ldc, alpha, beta);
            }
        }

        MacroKernel<MicroKernel6x16<FusedMultiplyAdd>>(rows - blockRows, blockCols, kc, a + ((nint)blockRows * kc), b, c + (blockRows * ldc), ldc, alpha, beta);
        MacroKernel<MicroKernel6x16<FusedMultiplyAdd>>(rows, cols - blockCols, kc, a, b + ((nint)blockCols * kc), c + blockCols, ldc, alpha, beta);
    }

    /// <summary>Computes a partial tile through a full-size scratch tile, with the same micro-kernel as full tiles.</summary>
    /// <typeparam name="TKernel">The micro-kernel.</typeparam>
    /// <param name="mr">Valid rows.</param>
    /// <param name="nr">Valid columns.</param>
    /// <param name="kc">The depth.</param>
    /// <param name="ap">The packed A micro-panel.</param>
    /// <param name="bp">The packed B micro-panel.</param>
    /// <param name="cp">The tile's top-left element of C.</param>
    /// <param name="ldc">The row stride of C.</param>
    /// <param name="alpha">The scale of the product.</param>
    /// <param name="beta">The scale of the old C (0: write-only, C is not read).</param>
    /// <param name="tile">Scratch of <c>MR * NR</c> floats.</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void EdgeTile<TKernel>(int mr, int nr, int kc, float* ap, float* bp, float* cp, nint ldc, float alpha, float beta, float* tile)
        where TKernel : IGemmMicroKernel
    {
        if (beta != 0f)
        {
            for (int i = 0; i < mr; i++)
            {
                new ReadOnlySpan<float>(cp + (i * ldc), nr).CopyTo(new Span<float>(tile + (i * NR), nr));
            }
        }

        TKernel.Run(kc, ap, bp, tile, NR, alpha, beta);
        for (int i = 0; i < mr; i++)
        {
            new ReadOnlySpan<float>(tile + (i * NR), nr).CopyTo(new Span<float>(cp + (i * ldc), nr));
        }
    }

    /// <summary>C = beta * C (the whole result when k or alpha is 0); beta 0 clears C without reading it.</summary>
    /// <param name="path">The kernel path.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="beta">The scale.</param>
    /// <param name="c">C.</param>
    /// <param name="ldc">The row stride of C.</param>
    private static void Scale(KernelPath path, int m, int n, float beta, Span<float> c, int ldc)
    {
        if (beta == 1f)
        {
            return;
        }

        for (int i = 0; i < m; i++)
        {
            Span<float> row = c.Slice(i * ldc, n);
            if (beta == 0f)
            {
                row.Clear();
            }
            else if (path == KernelPath.Scalar)
            {
                for (int j = 0; j < row.Length; j++)
                {
                    row[j] *= beta;
                }
            }
            else
            {
                TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }

    /// <summary>The start of part <paramref name="index"/> when <paramref name="total"/> units are split into <paramref name="parts"/> near-equal parts.</summary>
    /// <param name="total">The number of units.</param>
    /// <param name="parts">The number of parts, positive.</param>
    /// <param name="index">The part, 0 to <paramref name="parts"/>.</param>
    /// <returns>The first unit of the part.</returns>
    private static int Split(int total, int parts, int index) => (int)((long)total * index / parts);

    /// <summary>
    /// The first micro-panel of part <paramref name="index"/> when <paramref name="panels"/> micro-panels are split
    /// into <paramref name="parts"/> near-equal parts of whole pairs (so the <see cref="KernelPath.Avx512Fma"/> block
    /// kernel, two micro-panels wide and tall, rarely meets an odd one); only the last part may end on an odd panel.
    /// </summary>
    /// <param name="panels">The number of micro-panels.</param>
    /// <param name="parts">The number of parts, positive.</param>
    /// <param name="index">The part, 0 to <paramref name="parts"/>.</param>
    /// <returns>The first micro-panel of the part (<paramref name="panels"/> for <paramref name="index"/> = <paramref name="parts"/>).</returns>
    private static int SplitPanels(int panels, int parts, int index) => Math.Min(panels, 2 * Split(CeilDiv(panels, 2), parts, index));

    /// <summary>The number of threads to use: the cap (all cores for -1), or 1 for small work.</summary>
    /// <param name="maxDegreeOfParallelism">The caller's cap.</param>
    /// <param name="work">The work, in multiply-adds.</param>
    /// <returns>The thread count, at least 1.</returns>
    private static int ResolveThreads(int maxDegreeOfParallelism, long work)
    {
        int cores = Environment.ProcessorCount;
        int threads = maxDegreeOfParallelism == -1 ? cores : Math.Min(maxDegreeOfParallelism, cores);
        return work < ParallelThreshold ? 1 : threads;
    }

    /// <summary>Throws if a dimension is negative.</summary>
    /// <param name="value">The dimension.</param>
    /// <param name="name">Its parameter name.</param>
    private static void ValidateDimension(int value, string name)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} ({value}) must not be negative.");
        }
    }

    /// <summary>Throws unless the thread cap is -1 or positive.</summary>
    /// <param name="value">The cap.</param>
    private static void ValidateParallelism(int value)
    {
        if (value == 0 || value < -1)
        {
            throw new ArgumentOutOfRangeException(
                "maxDegreeOfParallelism", value, $"maxDegreeOfParallelism ({value}) must be -1 (all cores) or at least 1.");
        }
    }

    /// <summary>Validates the stride and length of the stored A.</summary>
    /// <param name="transposeA">Whether A is stored as k x m.</param>
    /// <param name="m">Rows of op(A).</param>
    /// <param name="k">Columns of op(A).</param>
    /// <param name="a">The stored A.</param>
    /// <param name="lda">Its row stride.</param>
    private static void ValidateLeft(bool transposeA, int m, int k, ReadOnlySpan<float> a, int lda)
    {
        if (transposeA)
        {
            ValidateStride(lda, "lda", m, "m", "transposeA is true");
            ValidateLength(a.Length, "a", "A", k, m, lda, "lda");
        }
        else
        {
            ValidateStride(lda, "lda", k, "k", "transposeA is false");
            ValidateLength(a.Length, "a", "A", m, k, lda, "lda");
        }
    }

    /// <summary>Validates the stride and length of the stored B.</summary>
    /// <param name="transposeB">Whether B is stored as n x k.</param>
    /// <param name="k">Rows of op(B).</param>
    /// <param name="n">Columns of op(B).</param>
    /// <param name="b">The stored B.</param>
    /// <param name="ldb">Its row stride.</param>
    private static void ValidateRight(bool transposeB, int k, int n, ReadOnlySpan<float> b, int ldb)
    {
        if (transposeB)
        {
            ValidateStride(ldb, "ldb", k, "k", "transposeB is true");
            ValidateLength(b.Length, "b", "B", n, k, ldb, "ldb");
        }
        else
        {
            ValidateStride(ldb, "ldb", n, "n", "transposeB is false");
            ValidateLength(b.Length, "b", "B", k, n, ldb, "ldb");
        }
    }

    /// <summary>Validates the stride and length of C.</summary>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="c">C.</param>
    /// <param name="ldc">Its row stride.</param>
    private static void ValidateOutput(int m, int n, Span<float> c, int ldc)
    {
        ValidateStride(ldc, "ldc", n, "n", null);
        ValidateLength(c.Length, "c", "C", m, n, ldc, "ldc");
    }

    /// <summary>Throws unless a row stride covers a row.</summary>
    /// <param name="stride">The stride.</param>
    /// <param name="strideName">Its parameter name.</param>
    /// <param name="minimum">The row length.</param>
    /// <param name="minimumName">The row length's name.</param>
    /// <param name="condition">When the requirement applies, or <see langword="null"/>.</param>
    private static void ValidateStride(int stride, string strideName, int minimum, string minimumName, string? condition)
    {
        if (stride < minimum)
        {
            string when = condition is null ? string.Empty : $" when {condition}";
            throw new ArgumentOutOfRangeException(
                strideName, stride, $"{strideName} ({stride}) must be at least {minimumName} ({minimum}){when}.");
        }
    }

    /// <summary>Throws unless a span holds a rows x cols row-major matrix with the given stride.</summary>
    /// <param name="length">The span's length.</param>
    /// <param name="spanName">Its parameter name.</param>
    /// <param name="matrixName">The matrix's name.</param>
    /// <param name="rows">Stored rows.</param>
    /// <param name="cols">Stored columns.</param>
    /// <param name="stride">The row stride.</param>
    /// <param name="strideName">The stride's parameter name.</param>
    private static void ValidateLength(int length, string spanName, string matrixName, int rows, int cols, int stride, string strideName)
    {
        long required = rows == 0 || cols == 0 ? 0 : ((long)(rows - 1) * stride) + cols;
        if (length < required)
        {
            throw new ArgumentException(
                $"{spanName} has {length} elements but the stored {matrixName} ({rows} x {cols}, {strideName} {stride}) needs at least {required}.",
                spanName);
        }
    }
}
