using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseDictionary.Kernels;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous, zero-padded micro-panel layouts the GEMM micro-kernels read.
/// </summary>
/// <remarks>
/// <para>
/// Packed A block (rows x kc): micro-panels of <see cref="Gemm.MR"/> rows, one after another; micro-panel
/// <c>r</c> starts at <c>r * MR * kc</c> and stores, for each depth step <c>p</c>, the <see cref="Gemm.MR"/>
/// values <c>op(A)[row0 + r*MR + i, p]</c> at <c>p * MR + i</c>. Rows past the end are zero.
/// </para>
/// <para>
/// Packed B block (kc x cols): micro-panels of <see cref="Gemm.NR"/> columns; micro-panel <c>s</c> starts at
/// <c>s * NR * kc</c> and stores, for each depth step <c>p</c>, the <see cref="Gemm.NR"/> values
/// <c>op(B)[p, col0 + s*NR + j]</c> at <c>p * NR + j</c>. Columns past the end are zero.
/// </para>
/// <para>
/// Packing only moves data, so every path produces the same bytes. The <see cref="KernelPath.Avx2Fma"/> path
/// transposes 8 x 8 blocks in registers for the strided (gathering) cases; the other paths use plain loops.
/// The AVX A packer writes up to <see cref="Slack"/> floats past the block it packs, so buffers keep that much room.
/// </para>
/// </remarks>
internal static unsafe class GemmPacking
{
    /// <summary>Floats a packed-A buffer needs beyond its block, for the AVX packer's overlapping stores.</summary>
    internal const int Slack = 16;

    /// <summary>Packs rows <c>[row0, row0 + rows)</c> and depth <c>[p0, p0 + kc)</c> of op(A).</summary>
    /// <param name="path">The kernel path.</param>
    /// <param name="transposeA">Whether op(A) is the transpose of the stored A.</param>
    /// <param name="a">The stored A.</param>
    /// <param name="lda">The row stride of the stored A.</param>
    /// <param name="row0">The first row of op(A) to pack.</param>
    /// <param name="rows">The number of rows to pack, at least 1.</param>
    /// <param name="p0">The first depth index.</param>
    /// <param name="kc">The depth of the block, at least 1.</param>
    /// <param name="dst">The destination (<c>ceil(rows / MR) * MR * kc + Slack</c> floats).</param>
    internal static void PackA(KernelPath path, bool transposeA, float* a, nint lda, int row0, int rows, int p0, int kc, float* dst)
    {
        for (int r = 0; r < rows; r += Gemm.MR)
        {
            int mr = Math.Min(Gemm.MR, rows - r);
            float* d = dst + ((nint)r * kc);
            if (!transposeA)
            {
                // op(A)[i, p] = A[i * lda + p]: gather one value from each of MR rows per depth step.
                float* src = a + ((row0 + r) * lda) + p0;
                if (mr == Gemm.MR && KernelPaths.UsesFma(path))
                {
                    PackARowsAvx(src, lda, kc, d);
                }
                else
                {
                    PackARowsScalar(src, lda, mr, kc, d);
                }
            }
            else
            {
                // op(A)[i, p] = A[p * lda + i]: MR contiguous values per depth step.
                float* src = a + (p0 * lda) + row0 + r;
                for (int p = 0; p < kc; p++)
                {
                    float* s = src + (p * lda);
                    float* dp = d + (p * Gemm.MR);
                    int i = 0;
                    for (; i < mr; i++)
                    {
                        dp[i] = s[i];
                    }

                    for (; i < Gemm.MR; i++)
                    {
                        dp[i] = 0f;
                    }
                }
            }
        }
    }

    /// <summary>Packs columns <c>[col0, col0 + cols)</c> and depth <c>[p0, p0 + kc)</c> of op(B).</summary>
    /// <param name="path">The kernel path.</param>
    /// <param name="transposeB">Whether op(B) is the transpose of the stored B.</param>
    /// <param name="b">The stored B.</param>
    /// <param name="ldb">The row stride of the stored B.</param>
    /// <param name="col0">The first column of op(B) to pack.</param>
    /// <param name="cols">The number of columns to pack, at least 1.</param>
    /// <param name="p0">The first depth index.</param>
    /// <param name="kc">The depth of the block, at least 1.</param>
    /// <param name="dst">The destination (<c>ceil(cols / NR) * NR * kc</c> floats).</param>
    internal static void PackB(KernelPath path, bool transposeB, float* b, nint ldb, int col0, int cols, int p0, int kc, float* dst)
    {
        for (int s = 0; s < cols; s += Gemm.NR)
        {
            int nr = Math.Min(Gemm.NR, cols - s);
            float* d = dst + ((nint)s * kc);
            if (transposeB)
            {
                // op(B)[p, j] = B[j * ldb + p]: gather one value from each of NR rows per depth step.
                float* src = b + ((col0 + s) * ldb) + p0;
                if (nr == Gemm.NR && KernelPaths.UsesFma(path))
                {
                    PackBRowsAvx(src, ldb, kc, d);
                }
                else
                {
                    PackBRowsScalar(src, ldb, nr, kc, d);
                }
            }
            else
            {
                // op(B)[p, j] = B[p * ldb + j]: NR contiguous values per depth step.
                float* src = b + (p0 * ldb) + col0 + s;
                for (int p = 0; p < kc; p++)
                {
                    float* sp = src + (p * ldb);
                    float* dp = d + (p * Gemm.NR);
                    if (nr == Gemm.NR && path != KernelPath.Scalar)
                    {
                        Vector256.Store(Vector256.Load(sp), dp);
                        Vector256.Store(Vector256.Load(sp + 8), dp + 8);
                    }
                    else
                    {
                        int j = 0;
                        for (; j < nr; j++)
                        {
                            dp[j] = sp[j];
                        }

                        for (; j < Gemm.NR; j++)
                        {
                            dp[j] = 0f;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Scalar gather of one A micro-panel from <paramref name="mr"/> rows, zero-padding to <see cref="Gemm.MR"/>.</summary>
    /// <param name="src">The first row's first element.</param>
    /// <param name="lda">The row stride.</param>
    /// <param name="mr">The number of valid rows.</param>
    /// <param name="kc">The depth.</param>
    /// <param name="d">The micro-panel destination.</param>
    private static void PackARowsScalar(float* src, nint lda, int mr, int kc, float* d)
    {
        for (int p = 0; p < kc; p++)
        {
            float* dp = d + (p * Gemm.MR);
            int i = 0;
            for (; i < mr; i++)
            {
                dp[i] = src[(i * lda) + p];
            }

            for (; i < Gemm.MR; i++)
            {
                dp[i] = 0f;
            }
        }
    }

    /// <summary>Scalar gather of one B micro-panel from <paramref name="nr"/> rows of the stored B, zero-padding to <see cref="Gemm.NR"/>.</summary>
    /// <param name="src">The first row's first element.</param>
    /// <param name="ldb">The row stride.</param>
    /// <param name="nr">The number of valid columns of op(B) (rows of the stored B).</param>
    /// <param name="kc">The depth.</param>
    /// <param name="d">The micro-panel destination.</param>
    private static void PackBRowsScalar(float* src, nint ldb, int nr, int kc, float* d)
    {
        for (int p = 0; p < kc; p++)
        {
            float* dp = d + (p * Gemm.NR);
            int j = 0;
            for (; j < nr; j++)
            {
                dp[j] = src[(j * ldb) + p];
            }

            for (; j < Gemm.NR; j++)
            {
                dp[j] = 0f;
            }
        }
    }

    /// <summary>AVX gather of one full A micro-panel (6 rows) by 8 x 8 register transposes.</summary>
    /// <param name="src">The first row's first element.</param>
    /// <param name="lda">The row stride.</param>
    /// <param name="kc">The depth.</param>
    /// <param name="d">The micro-panel destination; up to 2 floats past its end are overwritten.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackARowsAvx(float* src, nint lda, int kc, float* d)
    {
        Vector256<float> zero = Vector256<float>.Zero;
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            float* s = src + p;
            Transpose8x8(
                Avx.LoadVector256(s),
                Avx.LoadVector256(s + lda),
                Avx.LoadVector256(s + (2 * lda)),
                Avx.LoadVector256(s + (3 * lda)),
                Avx.LoadVector256(s + (4 * lda)),
                Avx.LoadVector256(s + (5 * lda)),
                zero,
                zero,
                out Vector256<float> t0,
                out Vector256<float> t1,
                out Vector256<float> t2,
                out Vector256<float> t3,
                out Vector256<float> t4,
                out Vector256<float> t5,
                out Vector256<float> t6,
                out Vector256<float> t7);

            // Each store writes 8 floats of which the last 2 spill into the next step and are overwritten by it
            // (or by the next micro-panel / the scalar tail / the buffer's slack).
            float* dp = d + (p * Gemm.MR);
            Avx.Store(dp, t0);
            Avx.Store(dp + 6, t1);
            Avx.Store(dp + 12, t2);
            Avx.Store(dp + 18, t3);
            Avx.Store(dp + 24, t4);
            Avx.Store(dp + 30, t5);
            Avx.Store(dp + 36, t6);
            Avx.Store(dp + 42, t7);
        }

        for (; p < kc; p++)
        {
            float* dp = d + (p * Gemm.MR);
            for (int i = 0; i < Gemm.MR; i++)
            {
                dp[i] = src[(i * lda) + p];
            }
        }
    }

    /// <summary>AVX gather of one full B micro-panel (16 rows of the stored B) by 8 x 8 register transposes.</summary>
    /// <param name="src">The first row's first element.</param>
    /// <param name="ldb">The row stride.</param>
    /// <param name="kc">The depth.</param>
    /// <param name="d">The micro-panel destination.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBRowsAvx(float* src, nint ldb, int kc, float* d)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            for (int half = 0; half < 2; half++)
            {
                float* s = src + (half * 8 * ldb) + p;
                Transpose8x8(
                    Avx.LoadVector256(s),
                    Avx.LoadVector256(s + ldb),
                    Avx.LoadVector256(s + (2 * ldb)),
                    Avx.LoadVector256(s + (3 * ldb)),
                    Avx.LoadVector256(s + (4 * ldb)),
                    Avx.LoadVector256(s + (5 * ldb)),
                    Avx.LoadVector256(s + (6 * ldb)),
                    Avx.LoadVector256(s + (7 * ldb)),
                    out Vector256<float> t0,
                    out Vector256<float> t1,
                    out Vector256<float> t2,
                    out Vector256<float> t3,
                    out Vector256<float> t4,
                    out Vector256<float> t5,
                    out Vector256<float> t6,
                    out Vector256<float> t7);

                float* dp = d + (p * Gemm.NR) + (half * 8);
                Avx.Store(dp, t0);
                Avx.Store(dp + 16, t1);
                Avx.Store(dp + 32, t2);
                Avx.Store(dp + 48, t3);
                Avx.Store(dp + 64, t4);
                Avx.Store(dp + 80, t5);
                Avx.Store(dp + 96, t6);
                Avx.Store(dp + 112, t7);
            }
        }

        for (; p < kc; p++)
        {
            float* dp = d + (p * Gemm.NR);
            for (int j = 0; j < Gemm.NR; j++)
            {
                dp[j] = src[(j * ldb) + p];
            }
        }
    }

    /// <summary>Transposes the 8 x 8 block whose rows are <paramref name="r0"/>..<paramref name="r7"/>: output <c>tq</c> holds element <c>q</c> of every row.</summary>
    /// <param name="r0">Row 0.</param>
    /// <param name="r1">Row 1.</param>
    /// <param name="r2">Row 2.</param>
    /// <param name="r3">Row 3.</param>
    /// <param name="r4">Row 4.</param>
    /// <param name="r5">Row 5.</param>
    /// <param name="r6">Row 6.</param>
    /// <param name="r7">Row 7.</param>
    /// <param name="t0">Column 0.</param>
    /// <param name="t1">Column 1.</param>
    /// <param name="t2">Column 2.</param>
    /// <param name="t3">Column 3.</param>
    /// <param name="t4">Column 4.</param>
    /// <param name="t5">Column 5.</param>
    /// <param name="t6">Column 6.</param>
    /// <param name="t7">Column 7.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(
        Vector256<float> r0,
        Vector256<float> r1,
        Vector256<float> r2,
        Vector256<float> r3,
        Vector256<float> r4,
        Vector256<float> r5,
        Vector256<float> r6,
        Vector256<float> r7,
        out Vector256<float> t0,
        out Vector256<float> t1,
        out Vector256<float> t2,
        out Vector256<float> t3,
        out Vector256<float> t4,
        out Vector256<float> t5,
        out Vector256<float> t6,
        out Vector256<float> t7)
    {
        // Interleave pairs of rows: per 128-bit lane, (x[0] y[0] x[1] y[1]) and (x[2] y[2] x[3] y[3]).
        Vector256<float> u0 = Avx.UnpackLow(r0, r1);
        Vector256<float> u1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> u2 = Avx.UnpackLow(r2, r3);
        Vector256<float> u3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> u4 = Avx.UnpackLow(r4, r5);
        Vector256<float> u5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> u6 = Avx.UnpackLow(r6, r7);
        Vector256<float> u7 = Avx.UnpackHigh(r6, r7);

        // Gather four rows per lane: element q (lane 0) and q + 4 (lane 1) of rows 0..3 / 4..7.
        Vector256<float> v0 = Avx.Shuffle(u0, u2, 0x44);
        Vector256<float> v1 = Avx.Shuffle(u0, u2, 0xEE);
        Vector256<float> v2 = Avx.Shuffle(u1, u3, 0x44);
        Vector256<float> v3 = Avx.Shuffle(u1, u3, 0xEE);
        Vector256<float> v4 = Avx.Shuffle(u4, u6, 0x44);
        Vector256<float> v5 = Avx.Shuffle(u4, u6, 0xEE);
        Vector256<float> v6 = Avx.Shuffle(u5, u7, 0x44);
        Vector256<float> v7 = Avx.Shuffle(u5, u7, 0xEE);

        // Join the low lanes (columns 0..3) and the high lanes (columns 4..7) of the two row halves.
        t0 = Avx.Permute2x128(v0, v4, 0x20);
        t1 = Avx.Permute2x128(v1, v5, 0x20);
        t2 = Avx.Permute2x128(v2, v6, 0x20);
        t3 = Avx.Permute2x128(v3, v7, 0x20);
        t4 = Avx.Permute2x128(v0, v4, 0x31);
        t5 = Avx.Permute2x128(v1, v5, 0x31);
        t6 = Avx.Permute2x128(v2, v6, 0x31);
        t7 = Avx.Permute2x128(v3, v7, 0x31);
    }
}
