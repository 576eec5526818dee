using System.Runtime.CompilerServices;

namespace SparseDictionary.Kernels;

/// <summary>
/// The macro-kernels of <see cref="Gemm"/>: a packed A block times packed B micro-panels into a block of C, tile by
/// tile, on the micro-kernel of a <see cref="KernelPath"/>; partial tiles through a zero-padded scratch tile.
/// </summary>
internal static unsafe class GemmMacroKernel
{
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
    internal static void Run(KernelPath path, int rows, int cols, int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
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
        float* tile = stackalloc float[Gemm.MR * Gemm.NR];
        for (int j = 0; j < cols; j += Gemm.NR)
        {
            int nr = Math.Min(Gemm.NR, cols - j);
            float* bp = b + ((nint)j * kc);
            for (int i = 0; i < rows; i += Gemm.MR)
            {
                int mr = Math.Min(Gemm.MR, rows - i);
                float* ap = a + ((nint)i * kc);
                float* cp = c + (i * ldc) + j;
                if (mr == Gemm.MR && nr == Gemm.NR)
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
    /// <param name="tile">Scratch of <c>Gemm.MR * NR</c> floats.</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void EdgeTile<TKernel>(int mr, int nr, int kc, float* ap, float* bp, float* cp, nint ldc, float alpha, float beta, float* tile)
        where TKernel : IGemmMicroKernel
    {
        if (beta != 0f)
        {
            for (int i = 0; i < mr; i++)
            {
                new ReadOnlySpan<float>(cp + (i * ldc), nr).CopyTo(new Span<float>(tile + (i * Gemm.NR), nr));
            }
        }

        TKernel.Run(kc, ap, bp, tile, Gemm.NR, alpha, beta);
        for (int i = 0; i < mr; i++)
        {
            new ReadOnlySpan<float>(tile + (i * Gemm.NR), nr).CopyTo(new Span<float>(cp + (i * ldc), nr));
        }
    }
}
