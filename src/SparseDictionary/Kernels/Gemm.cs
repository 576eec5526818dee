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
/// in turn, so that the strip stays in L1 between depth blocks (<see cref="GemmSchedule.ExecuteStrips"/>).
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
/// Files: the entry points are here; the blocked loops and the split of work in <see cref="GemmSchedule"/>, the tile
/// loops in <see cref="GemmMacroKernel"/>, the register tiles in <c>GemmMicroKernels.cs</c>, the packing in
/// <see cref="GemmPacking"/>, the argument checks in <see cref="GemmArguments"/>.
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
        GemmArguments.ValidateDimension(m, nameof(m));
        GemmArguments.ValidateDimension(n, nameof(n));
        GemmArguments.ValidateDimension(k, nameof(k));
        GemmArguments.ValidateParallelism(maxDegreeOfParallelism);
        GemmArguments.ValidateLeft(transposeA, m, k, a, lda);
        GemmArguments.ValidateRight(transposeB, k, n, b, ldb);
        GemmArguments.ValidateOutput(m, n, c, ldc);

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
            GemmSchedule.Execute(in problem, packedB: null, 0, beta, maxDegreeOfParallelism);
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
        GemmArguments.ValidateDimension(k, nameof(k));
        GemmArguments.ValidateDimension(n, nameof(n));
        GemmArguments.ValidateParallelism(maxDegreeOfParallelism);
        GemmArguments.ValidateRight(transposeB, k, n, b, ldb);

        var packed = new PackedRightOperand(k, n, destination);
        if (k == 0 || n == 0)
        {
            return packed;
        }

        KernelPath path = KernelPaths.Current;
        int threads = GemmSchedule.ResolveThreads(maxDegreeOfParallelism, (long)k * n * 64);
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
                        GemmSchedule.RunPhase(team, in problem, in phase, null);
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
        GemmArguments.ValidateDimension(m, nameof(m));
        GemmArguments.ValidateParallelism(maxDegreeOfParallelism);
        GemmArguments.ValidateLeft(transposeA, m, k, a, lda);
        GemmArguments.ValidateOutput(m, n, c, ldc);

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
            GemmSchedule.Execute(in problem, raw + b.Offset, b.PaddedColumns, beta, maxDegreeOfParallelism);
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

    /// <summary>The largest packed op(A), in floats (1 MiB), for which a single-thread pre-packed call runs in strips.</summary>
    internal const int StripMaxPackedA = 256 * 1024;

    /// <summary>Columns of a strip: two B micro-panels, the width of the AVX-512 block kernel.</summary>
    internal const int StripColumns = 2 * NR;

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
        GemmArguments.ValidateLeft(transposeA, m, k, a, lda);
        fixed (float* pa = a)
        {
            var problem = new GemmProblem { Path = KernelPaths.Current, TransposeA = transposeA, M = m, K = k, A = pa, Lda = lda };
            return GemmSchedule.PackLeftOperand(in problem);
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

        GemmArguments.ValidateOutput(a.Rows, cols, c, ldc);
        fixed (float* aRaw = a.GetBuffer(), bRaw = b.GetBuffer(), pc = c)
        {
            GemmSchedule.Strips(a.Path, a.Rows, a.Depth, aRaw + a.Offset, a.PaddedRows, bRaw + b.Offset, b.PaddedColumns, col0, cols, alpha, beta, pc, ldc);
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
}
