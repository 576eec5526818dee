using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseDictionary.Kernels;

/// <summary>
/// A register-tiled GEMM micro-kernel: computes one <see cref="Gemm.MR"/> x <see cref="Gemm.NR"/> tile of
/// <c>C = alpha * Ap * Bp + beta * C</c> from a packed A micro-panel and a packed B micro-panel.
/// </summary>
/// <remarks>
/// The packed A micro-panel holds <c>kc</c> groups of <see cref="Gemm.MR"/> consecutive floats (one column of the
/// tile's rows per depth step); the packed B micro-panel holds <c>kc</c> groups of <see cref="Gemm.NR"/> consecutive
/// floats (one row of the tile's columns per depth step). Every tile element is accumulated from zero in increasing
/// depth order, independently of every other element, and then combined with C; so an element's value depends only
/// on its row of A, its column of B and the depth block, never on where the tile lies or which thread runs it.
/// </remarks>
internal interface IGemmMicroKernel
{
    /// <summary>Computes one full tile.</summary>
    /// <param name="kc">The depth (number of packed steps), at least 1.</param>
    /// <param name="a">The packed A micro-panel (<paramref name="kc"/> x <see cref="Gemm.MR"/> floats).</param>
    /// <param name="b">The packed B micro-panel (<paramref name="kc"/> x <see cref="Gemm.NR"/> floats).</param>
    /// <param name="c">The tile's top-left element of C.</param>
    /// <param name="ldc">The row stride of C, in elements.</param>
    /// <param name="alpha">The scale of the product.</param>
    /// <param name="beta">The scale of the old C; 0 means C is only written, never read.</param>
    static abstract unsafe void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta);
}

/// <summary>
/// Requests a tile of C into L1 before a micro-kernel's depth loop: C is read or written only after the kc steps, so a
/// miss to memory (a large C, a later depth block) is hidden behind the multiply-adds instead of stalling the stores at
/// the end. Prefetches never fault, so lines past the end of C are harmless.
/// </summary>
internal static class GemmTilePrefetch
{
    /// <summary>Requests every cache line of a <paramref name="rows"/> x <paramref name="columns"/> tile of C (x86 only; elsewhere nothing).</summary>
    /// <param name="c">The tile's top-left element.</param>
    /// <param name="ldc">The row stride of C, in elements.</param>
    /// <param name="rows">Rows of the tile.</param>
    /// <param name="columns">Columns of the tile, at least 1.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void Request(float* c, nint ldc, int rows, int columns)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        for (int r = 0; r < rows; r++, c += ldc)
        {
            // A row of 16 floats spans one or two 64-byte lines wherever it starts: one request per 16 floats, and
            // one for the last element.
            for (int j = 0; j < columns; j += 16)
            {
                Sse.Prefetch0(c + j);
            }

            Sse.Prefetch0(c + (columns - 1));
        }
    }
}

/// <summary>
/// The 6 x 16 micro-kernel of the <see cref="KernelPath.Avx2Fma"/> (<see cref="FusedMultiplyAdd"/>) and
/// <see cref="KernelPath.Vector256"/> (<see cref="MultiplyThenAdd"/>) paths: the tile in 12 ymm accumulators, each
/// multiply-add rounded as <typeparamref name="TMultiplyAdd"/> rounds it.
/// </summary>
/// <remarks>
/// Register budget (16 ymm on AVX2): 12 accumulators, 2 B vectors, 1 broadcast A value. Per depth step it issues
/// 2 loads, 6 broadcasts and 12 multiply-adds (12 FMAs in the fused copy); each accumulator is touched once every
/// 6 cycles at 2 FMA/cycle, which covers the FMA latency. Tile element update: <c>c = alpha * acc + beta * c</c> (the one multiply-add rounded as
/// <typeparamref name="TMultiplyAdd"/>), or <c>alpha * acc</c> when beta is 0. With <see cref="MultiplyThenAdd"/>
/// every element gets exactly the scalar sequence <c>acc = acc + a * b</c> (rounded after the multiply and after the
/// add) and then <c>alpha * acc + beta * c</c>, so that copy is bit-identical to <see cref="ScalarMicroKernel"/>.
/// Vectors are portable <see cref="Vector256{T}"/> (hardware accelerated or emulated); on x86 the tile of C is
/// requested before the depth loop (<see cref="GemmTilePrefetch"/>).
/// </remarks>
/// <typeparam name="TMultiplyAdd"><see cref="FusedMultiplyAdd"/> (needs FMA) or <see cref="MultiplyThenAdd"/>.</typeparam>
internal readonly struct MicroKernel6x16<TMultiplyAdd> : IGemmMicroKernel
    where TMultiplyAdd : struct, IMultiplyAdd
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c00 = Vector256<float>.Zero, c01 = Vector256<float>.Zero;
        Vector256<float> c10 = Vector256<float>.Zero, c11 = Vector256<float>.Zero;
        Vector256<float> c20 = Vector256<float>.Zero, c21 = Vector256<float>.Zero;
        Vector256<float> c30 = Vector256<float>.Zero, c31 = Vector256<float>.Zero;
        Vector256<float> c40 = Vector256<float>.Zero, c41 = Vector256<float>.Zero;
        Vector256<float> c50 = Vector256<float>.Zero, c51 = Vector256<float>.Zero;

        GemmTilePrefetch.Request(c, ldc, Gemm.MR, Gemm.NR);

        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);

            Vector256<float> av = Vector256.Create(a[0]);
            c00 = TMultiplyAdd.MultiplyAdd(av, b0, c00);
            c01 = TMultiplyAdd.MultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = TMultiplyAdd.MultiplyAdd(av, b0, c10);
            c11 = TMultiplyAdd.MultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = TMultiplyAdd.MultiplyAdd(av, b0, c20);
            c21 = TMultiplyAdd.MultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = TMultiplyAdd.MultiplyAdd(av, b0, c30);
            c31 = TMultiplyAdd.MultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]);
            c40 = TMultiplyAdd.MultiplyAdd(av, b0, c40);
            c41 = TMultiplyAdd.MultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]);
            c50 = TMultiplyAdd.MultiplyAdd(av, b0, c50);
            c51 = TMultiplyAdd.MultiplyAdd(av, b1, c51);

            a += Gemm.MR;
            b += Gemm.NR;
        }

        Vector256<float> va = Vector256.Create(alpha);
        if (beta == 0f)
        {
            Vector256.Store(va * c00, c);
            Vector256.Store(va * c01, c + 8);
            c += ldc;
            Vector256.Store(va * c10, c);
            Vector256.Store(va * c11, c + 8);
            c += ldc;
            Vector256.Store(va * c20, c);
            Vector256.Store(va * c21, c + 8);
            c += ldc;
            Vector256.Store(va * c30, c);
            Vector256.Store(va * c31, c + 8);
            c += ldc;
            Vector256.Store(va * c40, c);
            Vector256.Store(va * c41, c + 8);
            c += ldc;
            Vector256.Store(va * c50, c);
            Vector256.Store(va * c51, c + 8);
        }
        else
        {
            Vector256<float> vb = Vector256.Create(beta);
            Update(c, c00, c01, va, vb);
            c += ldc;
            Update(c, c10, c11, va, vb);
            c += ldc;
            Update(c, c20, c21, va, vb);
            c += ldc;
            Update(c, c30, c31, va, vb);
            c += ldc;
            Update(c, c40, c41, va, vb);
            c += ldc;
            Update(c, c50, c51, va, vb);
        }
    }

    /// <summary>Writes <c>alpha * acc + beta * c</c> (the multiply-add rounded as <typeparamref name="TMultiplyAdd"/>) into one 16-float tile row.</summary>
    /// <param name="c">The tile row.</param>
    /// <param name="lo">Accumulators of columns 0..7.</param>
    /// <param name="hi">Accumulators of columns 8..15.</param>
    /// <param name="va">Alpha, broadcast.</param>
    /// <param name="vb">Beta, broadcast.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Update(float* c, Vector256<float> lo, Vector256<float> hi, Vector256<float> va, Vector256<float> vb)
    {
        Vector256.Store(TMultiplyAdd.MultiplyAdd(va, lo, vb * Vector256.Load(c)), c);
        Vector256.Store(TMultiplyAdd.MultiplyAdd(va, hi, vb * Vector256.Load(c + 8)), c + 8);
    }
}

/// <summary>The <see cref="KernelPath.Scalar"/> micro-kernel: plain loops over the 6 x 16 tile.</summary>
/// <remarks>Per element: <c>acc = acc + a * b</c> in increasing depth order, then <c>alpha * acc + beta * c</c>.</remarks>
internal readonly struct ScalarMicroKernel : IGemmMicroKernel
{
    /// <inheritdoc/>
    public static unsafe void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        float* acc = stackalloc float[Gemm.MR * Gemm.NR];
        new Span<float>(acc, Gemm.MR * Gemm.NR).Clear();

        for (int p = 0; p < kc; p++)
        {
            for (int i = 0; i < Gemm.MR; i++)
            {
                float ai = a[i];
                float* row = acc + (i * Gemm.NR);
                for (int j = 0; j < Gemm.NR; j++)
                {
                    row[j] += ai * b[j];
                }
            }

            a += Gemm.MR;
            b += Gemm.NR;
        }

        for (int i = 0; i < Gemm.MR; i++)
        {
            float* row = acc + (i * Gemm.NR);
            float* ci = c + (i * ldc);
            if (beta == 0f)
            {
                for (int j = 0; j < Gemm.NR; j++)
                {
                    ci[j] = alpha * row[j];
                }
            }
            else
            {
                for (int j = 0; j < Gemm.NR; j++)
                {
                    ci[j] = (alpha * row[j]) + (beta * ci[j]);
                }
            }
        }
    }
}

/// <summary>
/// The <see cref="KernelPath.Avx512Fma"/> block kernel: a 12 x 32 block (two packed A micro-panels by two packed B
/// micro-panels) in 24 zmm accumulators, fused multiply-add; bit-identical to four <see cref="MicroKernel6x16{TMultiplyAdd}"/>
/// tiles on <see cref="FusedMultiplyAdd"/>.
/// </summary>
/// <remarks>
/// Register budget (32 zmm on AVX-512): 24 accumulators, 2 B vectors, 1 broadcast A value. Per depth step it issues
/// 2 vector loads, 12 broadcasts and 24 FMAs of 16 lanes; each accumulator is touched once every 12 cycles at
/// 2 FMA/cycle. Every element gets exactly the operations of the 6 x 16 AVX2 tile (<c>acc = fma(a, b, acc)</c> in
/// increasing depth order, then <c>fma(alpha, acc, beta * c)</c> or <c>alpha * acc</c>), only 16 lanes wide, so the
/// two paths give the same bits. Edge tiles and odd micro-panels run on the 6 x 16 kernel.
/// </remarks>
internal static class Avx512FmaBlockKernel
{
    /// <summary>Rows of the block: two A micro-panels.</summary>
    internal const int Rows = 2 * Gemm.MR;

    /// <summary>Columns of the block: two B micro-panels.</summary>
    internal const int Columns = 2 * Gemm.NR;

    /// <summary>Computes one full 12 x 32 block.</summary>
    /// <param name="kc">The depth (number of packed steps), at least 1.</param>
    /// <param name="a">The first of two consecutive packed A micro-panels (the second starts <c>MR * kc</c> floats later).</param>
    /// <param name="b">The first of two consecutive packed B micro-panels (the second starts <c>NR * kc</c> floats later).</param>
    /// <param name="c">The block's top-left element of C.</param>
    /// <param name="ldc">The row stride of C, in elements.</param>
    /// <param name="alpha">The scale of the product.</param>
    /// <param name="beta">The scale of the old C; 0 means C is only written, never read.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c00 = Vector512<float>.Zero, c01 = Vector512<float>.Zero;
        Vector512<float> c10 = Vector512<float>.Zero, c11 = Vector512<float>.Zero;
        Vector512<float> c20 = Vector512<float>.Zero, c21 = Vector512<float>.Zero;
        Vector512<float> c30 = Vector512<float>.Zero, c31 = Vector512<float>.Zero;
        Vector512<float> c40 = Vector512<float>.Zero, c41 = Vector512<float>.Zero;
        Vector512<float> c50 = Vector512<float>.Zero, c51 = Vector512<float>.Zero;
        Vector512<float> c60 = Vector512<float>.Zero, c61 = Vector512<float>.Zero;
        Vector512<float> c70 = Vector512<float>.Zero, c71 = Vector512<float>.Zero;
        Vector512<float> c80 = Vector512<float>.Zero, c81 = Vector512<float>.Zero;
        Vector512<float> c90 = Vector512<float>.Zero, c91 = Vector512<float>.Zero;
        Vector512<float> ca0 = Vector512<float>.Zero, ca1 = Vector512<float>.Zero;
        Vector512<float> cb0 = Vector512<float>.Zero, cb1 = Vector512<float>.Zero;

        GemmTilePrefetch.Request(c, ldc, Rows, Columns);

        float* a1 = a + ((nint)Gemm.MR * kc);
        float* b1p = b + ((nint)Gemm.NR * kc);
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Avx512F.LoadVector512(b);
            Vector512<float> b1 = Avx512F.LoadVector512(b1p);

            Vector512<float> av = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(av, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(av, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(av, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(av, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(av, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(av, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a1[0]);
            c60 = Avx512F.FusedMultiplyAdd(av, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a1[1]);
            c70 = Avx512F.FusedMultiplyAdd(av, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(av, b1, c71);
            av = Vector512.Create(a1[2]);
            c80 = Avx512F.FusedMultiplyAdd(av, b0, c80);
            c81 = Avx512F.FusedMultiplyAdd(av, b1, c81);
            av = Vector512.Create(a1[3]);
            c90 = Avx512F.FusedMultiplyAdd(av, b0, c90);
            c91 = Avx512F.FusedMultiplyAdd(av, b1, c91);
            av = Vector512.Create(a1[4]);
            ca0 = Avx512F.FusedMultiplyAdd(av, b0, ca0);
            ca1 = Avx512F.FusedMultiplyAdd(av, b1, ca1);
            av = Vector512.Create(a1[5]);
            cb0 = Avx512F.FusedMultiplyAdd(av, b0, cb0);
            cb1 = Avx512F.FusedMultiplyAdd(av, b1, cb1);

            a += Gemm.MR;
            a1 += Gemm.MR;
            b += Gemm.NR;
            b1p += Gemm.NR;
        }

        Vector512<float> va = Vector512.Create(alpha);
        Vector512<float> vb = Vector512.Create(beta);
        bool read = beta != 0f;
        Write(c, c00, c01, va, vb, read);
        Write(c += ldc, c10, c11, va, vb, read);
        Write(c += ldc, c20, c21, va, vb, read);
        Write(c += ldc, c30, c31, va, vb, read);
        Write(c += ldc, c40, c41, va, vb, read);
        Write(c += ldc, c50, c51, va, vb, read);
        Write(c += ldc, c60, c61, va, vb, read);
        Write(c += ldc, c70, c71, va, vb, read);
        Write(c += ldc, c80, c81, va, vb, read);
        Write(c += ldc, c90, c91, va, vb, read);
        Write(c += ldc, ca0, ca1, va, vb, read);
        Write(c += ldc, cb0, cb1, va, vb, read);
    }

    /// <summary>Writes <c>fma(alpha, acc, beta * c)</c>, or <c>alpha * acc</c> without reading C, into one 32-float block row.</summary>
    /// <param name="c">The block row.</param>
    /// <param name="lo">Accumulators of columns 0..15.</param>
    /// <param name="hi">Accumulators of columns 16..31.</param>
    /// <param name="va">Alpha, broadcast.</param>
    /// <param name="vb">Beta, broadcast.</param>
    /// <param name="read">Whether beta is non-zero, so C is read.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Write(float* c, Vector512<float> lo, Vector512<float> hi, Vector512<float> va, Vector512<float> vb, bool read)
    {
        if (read)
        {
            Avx512F.Store(c, Avx512F.FusedMultiplyAdd(va, lo, Avx512F.Multiply(vb, Avx512F.LoadVector512(c))));
            Avx512F.Store(c + 16, Avx512F.FusedMultiplyAdd(va, hi, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 16))));
        }
        else
        {
            Avx512F.Store(c, Avx512F.Multiply(va, lo));
            Avx512F.Store(c + 16, Avx512F.Multiply(va, hi));
        }
    }
}
