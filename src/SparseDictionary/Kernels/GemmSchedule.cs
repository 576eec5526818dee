using System.Buffers;

namespace SparseDictionary.Kernels;

/// <summary>
/// The blocked loops of <see cref="Gemm"/>: how a product is cut into column blocks, depth blocks, row blocks and
/// work items, which thread runs which item, and the single-thread strip order for small left operands.
/// </summary>
/// <remarks>
/// Only the split of work depends on the thread count; every element of C is computed by the same micro-kernel from
/// the same depth blocks in the same order whatever the split (see <see cref="Gemm"/>).
/// </remarks>
internal static unsafe class GemmSchedule
{
    /// <summary>Below this many multiply-adds (m * n * k) a call runs on the calling thread only.</summary>
    private const long ParallelThreshold = 1L << 21;

    /// <summary>Runs one work item of a phase (called by the caller's thread and by team helpers).</summary>
    /// <param name="problem">The problem.</param>
    /// <param name="phase">The phase.</param>
    /// <param name="item">The item index, below <see cref="GemmPhase.ItemCount"/>.</param>
    /// <param name="packA">The running thread's aligned A-packing buffer (<see cref="Gemm.PackABufferLength"/>); unused by pack phases.</param>
    internal static void RunItem(in GemmProblem problem, in GemmPhase phase, int item, float* packA)
    {
        if (phase.Kind == GemmPhaseKind.PackB)
        {
            int s0 = Split(phase.Panels, phase.ItemCount, item);
            int s1 = Split(phase.Panels, phase.ItemCount, item + 1);
            int first = s0 * Gemm.NR;
            int count = Math.Min(s1 * Gemm.NR, phase.Cols) - first;
            if (count > 0)
            {
                GemmPacking.PackB(problem.Path, problem.TransposeB, problem.B, problem.Ldb, phase.Col0 + first, count, phase.P0, phase.Kc, phase.PackedB + ((nint)first * phase.Kc));
            }

            return;
        }

        int rowBlock = item / phase.ColChunks;
        int chunk = item - (rowBlock * phase.ColChunks);
        int mPanels = Gemm.CeilDiv(problem.M, Gemm.MR);
        int row0 = SplitPanels(mPanels, phase.RowBlocks, rowBlock) * Gemm.MR;
        int rows = Math.Min(SplitPanels(mPanels, phase.RowBlocks, rowBlock + 1) * Gemm.MR, problem.M) - row0;
        int col0 = SplitPanels(phase.Panels, phase.ColChunks, chunk) * Gemm.NR;
        int cols = Math.Min(SplitPanels(phase.Panels, phase.ColChunks, chunk + 1) * Gemm.NR, phase.Cols) - col0;
        if (rows <= 0 || cols <= 0)
        {
            return;
        }

        GemmPacking.PackA(problem.Path, problem.TransposeA, problem.A, problem.Lda, row0, rows, phase.P0, phase.Kc, packA);
        float* b = phase.PackedB + ((nint)col0 * phase.Kc);
        float* c = problem.C + (row0 * problem.Ldc) + phase.Col0 + col0;
        GemmMacroKernel.Run(problem.Path, rows, cols, phase.Kc, packA, b, c, problem.Ldc, problem.Alpha, phase.Beta);
    }

    /// <summary>Runs the blocked loops of one multiplication whose operands have been validated and pinned.</summary>
    /// <param name="problem">The problem (m, n, k at least 1, alpha non-zero).</param>
    /// <param name="packedB">The pre-packed op(B), or <see langword="null"/> to pack <see cref="GemmProblem.B"/> block by block.</param>
    /// <param name="paddedColumns">With <paramref name="packedB"/>: its padded column count.</param>
    /// <param name="beta">The caller's beta.</param>
    /// <param name="maxDegreeOfParallelism">The caller's thread cap.</param>
    internal static void Execute(in GemmProblem problem, float* packedB, int paddedColumns, float beta, int maxDegreeOfParallelism)
    {
        int m = problem.M;
        int n = problem.N;
        int k = problem.K;
        int kc = Gemm.DepthBlock(k);
        int nPanels = Gemm.CeilDiv(n, Gemm.NR);
        int colBlocks = Gemm.CeilDiv(nPanels, Gemm.NcMaxPanels);
        int maxBlockPanels = Math.Min(nPanels, 2 * Gemm.CeilDiv(Gemm.CeilDiv(nPanels, 2), colBlocks));

        int threads = ResolveThreads(maxDegreeOfParallelism, (long)m * n * k);
        if (packedB is not null && threads == 1 && (long)Gemm.CeilDiv(m, 2 * Gemm.MR) * 2 * Gemm.MR * k <= Gemm.StripMaxPackedA)
        {
            ExecuteStrips(in problem, packedB, paddedColumns, beta);
            return;
        }

        GemmWorkerTeam? team = threads > 1 ? GemmWorkerTeam.TryAcquire() : null;
        int participants = team is null ? 1 : Math.Min(threads, team.HelperCount + 1);
        float[] aBuffer = ArrayPool<float>.Shared.Rent(Gemm.PackABufferLength);
        float[]? bBuffer = packedB is null ? ArrayPool<float>.Shared.Rent((maxBlockPanels * Gemm.NR * kc) + Gemm.AlignmentFloats) : null;
        try
        {
            fixed (float* aRaw = aBuffer, bRaw = bBuffer)
            {
                float* packA = Gemm.Align(aRaw);
                team?.BeginRegion(in problem, participants);
                try
                {
                    for (int colBlock = 0; colBlock < colBlocks; colBlock++)
                    {
                        int s0 = SplitPanels(nPanels, colBlocks, colBlock);
                        int s1 = SplitPanels(nPanels, colBlocks, colBlock + 1);
                        int col0 = s0 * Gemm.NR;
                        int cols = Math.Min(s1 * Gemm.NR, n) - col0;
                        int panels = s1 - s0;
                        PlanCompute(m, panels, participants, out int rowBlocks, out int colChunks);

                        for (int p0 = 0; p0 < k; p0 += kc)
                        {
                            int kcb = Math.Min(kc, k - p0);
                            float* blockB;
                            if (packedB is null)
                            {
                                blockB = Gemm.Align(bRaw);
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

    /// <summary>
    /// A single-thread product with pre-packed op(B) and a small op(A): op(A) is packed whole (<see cref="Gemm.PackLeft"/>)
    /// and C computed in strips (<see cref="Gemm.MultiplyStrips"/>).
    /// </summary>
    /// <param name="problem">The problem (m, n, k at least 1, alpha non-zero).</param>
    /// <param name="packedB">The pre-packed op(B).</param>
    /// <param name="paddedColumns">Its padded column count.</param>
    /// <param name="beta">The caller's beta.</param>
    internal static void ExecuteStrips(in GemmProblem problem, float* packedB, int paddedColumns, float beta)
    {
        using var left = PackLeftOperand(in problem);
        fixed (float* raw = left.GetBuffer())
        {
            Strips(problem.Path, problem.M, problem.K, raw + left.Offset, left.PaddedRows, packedB, paddedColumns, 0, problem.N, problem.Alpha, beta, problem.C, problem.Ldc);
        }
    }

    /// <summary>Packs every depth block of op(A), all of its rows, into a new operand (depth block p0 at <c>p0 * PaddedRows</c>).</summary>
    /// <param name="problem">The problem: path, A, its stride and transpose, m and k (at least 1).</param>
    /// <returns>The packed operand.</returns>
    internal static PackedLeftOperand PackLeftOperand(in GemmProblem problem)
    {
        var left = new PackedLeftOperand(problem.M, problem.K, problem.Path);
        fixed (float* raw = left.GetBuffer())
        {
            float* packA = Gemm.Align(raw);
            left.Offset = (int)(packA - raw);
            int kc = Gemm.DepthBlock(problem.K);
            for (int p0 = 0; p0 < problem.K; p0 += kc)
            {
                GemmPacking.PackA(problem.Path, problem.TransposeA, problem.A, problem.Lda, 0, problem.M, p0, Math.Min(kc, problem.K - p0), packA + ((nint)left.PaddedRows * p0));
            }
        }

        return left;
    }

    /// <summary>
    /// C in strips of <see cref="Gemm.StripColumns"/> columns, every depth block of a strip in turn, so that the strip of C
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
    /// <param name="col0">The first column of op(B), a multiple of <see cref="Gemm.NR"/>.</param>
    /// <param name="n">The number of columns.</param>
    /// <param name="alpha">The scale of the product.</param>
    /// <param name="beta">The scale of the old C.</param>
    /// <param name="c">The block of C for column col0.</param>
    /// <param name="ldc">The row stride of C.</param>
    internal static void Strips(KernelPath path, int m, int k, float* packA, int paddedRows, float* packedB, int paddedColumns, int col0, int n, float alpha, float beta, float* c, nint ldc)
    {
        int kc = Gemm.DepthBlock(k);
        for (int j = 0; j < n; j += Gemm.StripColumns)
        {
            int cols = Math.Min(Gemm.StripColumns, n - j);
            for (int p0 = 0; p0 < k; p0 += kc)
            {
                int kcb = Math.Min(kc, k - p0);
                float* b = packedB + ((nint)p0 * paddedColumns) + ((nint)(col0 + j) * kcb);
                GemmMacroKernel.Run(path, m, cols, kcb, packA + ((nint)paddedRows * p0), b, c + j, ldc, alpha, p0 == 0 ? beta : 1f);
            }
        }
    }

    /// <summary>
    /// Splits one (column block, depth block) of C into work items: row blocks of at most
    /// <see cref="Gemm.McMaxPanels"/> micro-panels, and, when there are too few row blocks to keep every thread busy,
    /// column chunks. Only the work split depends on the thread count, never the results.
    /// </summary>
    /// <param name="m">Rows of C.</param>
    /// <param name="panels">B micro-panels in the column block.</param>
    /// <param name="participants">Threads taking part.</param>
    /// <param name="rowBlocks">The number of row blocks.</param>
    /// <param name="colChunks">The number of column chunks.</param>
    private static void PlanCompute(int m, int panels, int participants, out int rowBlocks, out int colChunks)
    {
        int mPairs = Gemm.CeilDiv(m, 2 * Gemm.MR);
        rowBlocks = Gemm.CeilDiv(mPairs, Gemm.McMaxPanels / 2);
        colChunks = 1;
        if (participants > 1)
        {
            if (rowBlocks >= 2 * participants)
            {
                // Equal-sized row blocks, a whole number per thread.
                rowBlocks = Math.Min(mPairs, Gemm.CeilDiv(rowBlocks, participants) * participants);
            }
            else
            {
                // Few rows: also split the columns (the small A block is then packed once per chunk).
                colChunks = Math.Min(Gemm.CeilDiv(panels, 2), Gemm.CeilDiv(4 * participants, rowBlocks));
            }
        }
    }

    /// <summary>Runs a phase on the team, or on the calling thread item by item.</summary>
    /// <param name="team">The team, or <see langword="null"/> to run serially.</param>
    /// <param name="problem">The problem.</param>
    /// <param name="phase">The phase.</param>
    /// <param name="packA">The caller's aligned A-packing buffer.</param>
    internal static void RunPhase(GemmWorkerTeam? team, in GemmProblem problem, in GemmPhase phase, float* packA)
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
    private static int SplitPanels(int panels, int parts, int index) => Math.Min(panels, 2 * Split(Gemm.CeilDiv(panels, 2), parts, index));

    /// <summary>The number of threads to use: the cap (all cores for -1), or 1 for small work.</summary>
    /// <param name="maxDegreeOfParallelism">The caller's cap.</param>
    /// <param name="work">The work, in multiply-adds.</param>
    /// <returns>The thread count, at least 1.</returns>
    internal static int ResolveThreads(int maxDegreeOfParallelism, long work)
    {
        int cores = Environment.ProcessorCount;
        int threads = maxDegreeOfParallelism == -1 ? cores : Math.Min(maxDegreeOfParallelism, cores);
        return work < ParallelThreshold ? 1 : threads;
    }
}
