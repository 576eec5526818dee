using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SparseDictionary.Kernels;

/// <summary>
/// The per-row kernels of the sparse decode and its gradient: the decode of one row from its active latents, the dot
/// product of each active latent's decoder row with the row's output gradient, and the row's squared error with its
/// output gradient. Each has one fixed arithmetic that the <see cref="KernelPath.Avx512Fma"/> (512-bit),
/// <see cref="KernelPath.Avx2Fma"/> and <see cref="KernelPath.Vector256"/> (256-bit) and <see cref="KernelPath.Scalar"/>
/// paths reproduce bit for bit, so results never depend on the CPU.
/// </summary>
/// <remarks>
/// <para>
/// Decode: each column is <c>acc = bias[c]</c> (or 0), then <c>acc = (value_j * W[index_j, c]) + acc</c> for the entries
/// in order, the product rounded before the add (no fused multiply-add). Columns are independent, so the vector paths
/// hold a block of columns in registers while the entries stream past and store the row once per block.
/// </para>
/// <para>
/// Dot products and squared errors are summed in <see cref="DotLanes"/> (float) or <see cref="ErrorLanes"/> (double)
/// interleaved partial sums: column c goes to partial <c>c mod lanes</c>, in increasing column order, each product
/// rounded before the add; the partials are then added in a fixed halving tree (partial l + partial l + lanes/2, and so
/// on down to one). Vector registers hold consecutive lanes, so a 512-bit, a 256-bit and a scalar loop perform the
/// same additions on the same operands. The interleaving gives the vector paths independent dependency chains.
/// </para>
/// </remarks>
internal static class SparseRowKernels
{
    /// <summary>Interleaved float partial sums of a dot product.</summary>
    internal const int DotLanes = 32;

    /// <summary>Interleaved double partial sums of a squared error.</summary>
    internal const int ErrorLanes = 16;

    /// <summary>
    /// row[c] = bias[c] (or 0 when <paramref name="bias"/> is empty) + Σ_j values[j] · W[indices[j], c], each term
    /// <c>(values[j] * W) + acc</c> in entry order.
    /// </summary>
    /// <param name="indices">The active latents of the row.</param>
    /// <param name="values">Their codes.</param>
    /// <param name="weights">The decoder, latents x <paramref name="d"/>, row-major.</param>
    /// <param name="d">The input dimension.</param>
    /// <param name="bias">The decoder bias (d floats), or empty.</param>
    /// <param name="row">The output row (d floats).</param>
    /// <param name="path">The kernel path.</param>
    public static void Decode(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, ReadOnlySpan<float> weights, int d, ReadOnlySpan<float> bias, Span<float> row, KernelPath path)
    {
        ref var w = ref MemoryMarshal.GetReference(weights);
        ref var output = ref MemoryMarshal.GetReference(row);
        ref var b = ref MemoryMarshal.GetReference(bias);
        var hasBias = !bias.IsEmpty;
        var c = 0;
        if (path == KernelPath.Avx512Fma && Vector512.IsHardwareAccelerated)
        {
            c = DecodeColumns<Lanes512, Vector512<float>>(indices, values, ref w, d, c, hasBias, ref b, ref output);
        }

        if (path != KernelPath.Scalar && Vector256.IsHardwareAccelerated)
        {
            c = DecodeColumns<Lanes256, Vector256<float>>(indices, values, ref w, d, c, hasBias, ref b, ref output);
        }

        for (; c < d; c++)
        {
            var acc = hasBias ? bias[c] : 0f;
            for (var j = 0; j < indices.Length; j++)
            {
                acc = (values[j] * weights[(indices[j] * d) + c]) + acc;
            }

            row[c] = acc;
        }
    }

    /// <summary>destination[j] = W[indices[j]] · gradient, each a <see cref="Dot"/>.</summary>
    /// <param name="indices">The active latents of the row.</param>
    /// <param name="weights">The decoder, latents x <paramref name="d"/>, row-major.</param>
    /// <param name="d">The input dimension.</param>
    /// <param name="gradient">The row's output gradient (d floats).</param>
    /// <param name="destination">One float per active latent.</param>
    /// <param name="path">The kernel path.</param>
    public static void Dots(ReadOnlySpan<int> indices, ReadOnlySpan<float> weights, int d, ReadOnlySpan<float> gradient, Span<float> destination, KernelPath path)
    {
        var j = 0;
        if (d % DotLanes == 0 && path != KernelPath.Scalar)
        {
            // Two entries per pass share the gradient's loads and interleave two dependency chains; each dot still
            // gets exactly its own lanes and tree.
            ref var w = ref MemoryMarshal.GetReference(weights);
            ref var g = ref MemoryMarshal.GetReference(gradient);
            if (path == KernelPath.Avx512Fma && Vector512.IsHardwareAccelerated)
            {
                for (; j + 2 <= indices.Length; j += 2)
                {
                    (destination[j], destination[j + 1]) = DotPair512(ref Unsafe.Add(ref w, indices[j] * d), ref Unsafe.Add(ref w, indices[j + 1] * d), ref g, d);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 2 <= indices.Length; j += 2)
                {
                    (destination[j], destination[j + 1]) = DotPair256(ref Unsafe.Add(ref w, indices[j] * d), ref Unsafe.Add(ref w, indices[j + 1] * d), ref g, d);
                }
            }
        }

        for (; j < indices.Length; j++)
        {
            destination[j] = Dot(weights.Slice(indices[j] * d, d), gradient, path);
        }
    }

    /// <summary>Σ_c x[c] · y[c] in <see cref="DotLanes"/> interleaved partial sums and a halving tree (see the remarks of the class).</summary>
    /// <param name="x">The first vector.</param>
    /// <param name="y">The second vector, as long.</param>
    /// <param name="path">The kernel path.</param>
    /// <returns>The dot product.</returns>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y, KernelPath path)
    {
        var n = x.Length;
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y);
        var whole = n % DotLanes == 0;
        if (path == KernelPath.Avx512Fma && Vector512.IsHardwareAccelerated)
        {
            var a0 = Vector512<float>.Zero;
            var a1 = Vector512<float>.Zero;
            var c = 0;
            for (; c + DotLanes <= n; c += DotLanes)
            {
                a0 = (Vector512.LoadUnsafe(ref rx, (nuint)c) * Vector512.LoadUnsafe(ref ry, (nuint)c)) + a0;
                a1 = (Vector512.LoadUnsafe(ref rx, (nuint)(c + 16)) * Vector512.LoadUnsafe(ref ry, (nuint)(c + 16))) + a1;
            }

            if (whole)
            {
                // The tree in registers: lanes l + l + 16, then l + l + 8, l + l + 4, l + l + 2, l + l + 1.
                return ReduceTree(a0 + a1);
            }

            Span<float> partial = stackalloc float[DotLanes];
            a0.StoreUnsafe(ref MemoryMarshal.GetReference(partial));
            a1.StoreUnsafe(ref MemoryMarshal.GetReference(partial), 16);
            return FinishDot(x, y, c, partial);
        }

        if (path != KernelPath.Scalar && Vector256.IsHardwareAccelerated)
        {
            var a0 = Vector256<float>.Zero;
            var a1 = Vector256<float>.Zero;
            var a2 = Vector256<float>.Zero;
            var a3 = Vector256<float>.Zero;
            var c = 0;
            for (; c + DotLanes <= n; c += DotLanes)
            {
                a0 = (Vector256.LoadUnsafe(ref rx, (nuint)c) * Vector256.LoadUnsafe(ref ry, (nuint)c)) + a0;
                a1 = (Vector256.LoadUnsafe(ref rx, (nuint)(c + 8)) * Vector256.LoadUnsafe(ref ry, (nuint)(c + 8))) + a1;
                a2 = (Vector256.LoadUnsafe(ref rx, (nuint)(c + 16)) * Vector256.LoadUnsafe(ref ry, (nuint)(c + 16))) + a2;
                a3 = (Vector256.LoadUnsafe(ref rx, (nuint)(c + 24)) * Vector256.LoadUnsafe(ref ry, (nuint)(c + 24))) + a3;
            }

            if (whole)
            {
                return ReduceTree((a0 + a2) + (a1 + a3));
            }

            Span<float> partial = stackalloc float[DotLanes];
            ref var rp = ref MemoryMarshal.GetReference(partial);
            a0.StoreUnsafe(ref rp);
            a1.StoreUnsafe(ref rp, 8);
            a2.StoreUnsafe(ref rp, 16);
            a3.StoreUnsafe(ref rp, 24);
            return FinishDot(x, y, c, partial);
        }

        Span<float> zero = stackalloc float[DotLanes];
        zero.Clear();
        return FinishDot(x, y, 0, zero);
    }

    /// <summary><see cref="Dot"/> of two rows with one vector, n a multiple of <see cref="DotLanes"/>, 512 bits wide.</summary>
    /// <param name="x0">The first row.</param>
    /// <param name="x1">The second row.</param>
    /// <param name="y">The shared vector.</param>
    /// <param name="n">The length, a multiple of <see cref="DotLanes"/>.</param>
    /// <returns>Both dot products.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float) DotPair512(ref float x0, ref float x1, ref float y, int n)
    {
        var a0 = Vector512<float>.Zero;
        var a1 = Vector512<float>.Zero;
        var b0 = Vector512<float>.Zero;
        var b1 = Vector512<float>.Zero;
        for (nuint c = 0; c < (nuint)n; c += DotLanes)
        {
            var y0 = Vector512.LoadUnsafe(ref y, c);
            var y1 = Vector512.LoadUnsafe(ref y, c + 16);
            a0 = (Vector512.LoadUnsafe(ref x0, c) * y0) + a0;
            a1 = (Vector512.LoadUnsafe(ref x0, c + 16) * y1) + a1;
            b0 = (Vector512.LoadUnsafe(ref x1, c) * y0) + b0;
            b1 = (Vector512.LoadUnsafe(ref x1, c + 16) * y1) + b1;
        }

        return (ReduceTree(a0 + a1), ReduceTree(b0 + b1));
    }

    /// <summary><see cref="Dot"/> of two rows with one vector, n a multiple of <see cref="DotLanes"/>, 256 bits wide.</summary>
    /// <param name="x0">The first row.</param>
    /// <param name="x1">The second row.</param>
    /// <param name="y">The shared vector.</param>
    /// <param name="n">The length, a multiple of <see cref="DotLanes"/>.</param>
    /// <returns>Both dot products.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float) DotPair256(ref float x0, ref float x1, ref float y, int n)
    {
        Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero, a2 = Vector256<float>.Zero, a3 = Vector256<float>.Zero;
        Vector256<float> b0 = Vector256<float>.Zero, b1 = Vector256<float>.Zero, b2 = Vector256<float>.Zero, b3 = Vector256<float>.Zero;
        for (nuint c = 0; c < (nuint)n; c += DotLanes)
        {
            var y0 = Vector256.LoadUnsafe(ref y, c);
            var y1 = Vector256.LoadUnsafe(ref y, c + 8);
            var y2 = Vector256.LoadUnsafe(ref y, c + 16);
            var y3 = Vector256.LoadUnsafe(ref y, c + 24);
            a0 = (Vector256.LoadUnsafe(ref x0, c) * y0) + a0;
            a1 = (Vector256.LoadUnsafe(ref x0, c + 8) * y1) + a1;
            a2 = (Vector256.LoadUnsafe(ref x0, c + 16) * y2) + a2;
            a3 = (Vector256.LoadUnsafe(ref x0, c + 24) * y3) + a3;
            b0 = (Vector256.LoadUnsafe(ref x1, c) * y0) + b0;
            b1 = (Vector256.LoadUnsafe(ref x1, c + 8) * y1) + b1;
            b2 = (Vector256.LoadUnsafe(ref x1, c + 16) * y2) + b2;
            b3 = (Vector256.LoadUnsafe(ref x1, c + 24) * y3) + b3;
        }

        return (ReduceTree((a0 + a2) + (a1 + a3)), ReduceTree((b0 + b2) + (b1 + b3)));
    }

    /// <summary>
    /// Adds columns <paramref name="start"/> .. n - 1 into their partials (column c into partial c mod <see cref="DotLanes"/>,
    /// in order), then adds the partials in the halving tree.
    /// </summary>
    /// <param name="x">The first vector.</param>
    /// <param name="y">The second vector.</param>
    /// <param name="start">The first column not yet summed.</param>
    /// <param name="partial">The <see cref="DotLanes"/> partial sums so far.</param>
    /// <returns>The dot product.</returns>
    private static float FinishDot(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int start, Span<float> partial)
    {
        for (var c = start; c < x.Length; c++)
        {
            partial[c % DotLanes] = (x[c] * y[c]) + partial[c % DotLanes];
        }

        for (var half = DotLanes / 2; half >= 1; half /= 2)
        {
            for (var l = 0; l < half; l++)
            {
                partial[l] += partial[l + half];
            }
        }

        return partial[0];
    }

    /// <summary>The halving tree over 16 float partials held in one 512-bit register: l + l + 8, l + l + 4, l + l + 2, l + l + 1.</summary>
    /// <param name="v">Partials 0..15.</param>
    /// <returns>Their sum in the tree's order.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ReduceTree(Vector512<float> v) => ReduceTree(v.GetLower() + v.GetUpper());

    /// <summary>The halving tree over 8 float partials: l + l + 4, l + l + 2, l + l + 1.</summary>
    /// <param name="v">Partials 0..7.</param>
    /// <returns>Their sum in the tree's order.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ReduceTree(Vector256<float> v)
    {
        var t = v.GetLower() + v.GetUpper();
        return (t.GetElement(0) + t.GetElement(2)) + (t.GetElement(1) + t.GetElement(3));
    }

    /// <summary>The halving tree over 8 double partials: l + l + 4, l + l + 2, l + l + 1.</summary>
    /// <param name="v">Partials 0..7.</param>
    /// <returns>Their sum in the tree's order.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ReduceTree(Vector512<double> v) => ReduceTree(v.GetLower() + v.GetUpper());

    /// <summary>The halving tree over 4 double partials: l + l + 2, l + l + 1.</summary>
    /// <param name="v">Partials 0..3.</param>
    /// <returns>Their sum in the tree's order.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ReduceTree(Vector256<double> v)
    {
        var u = v.GetLower() + v.GetUpper();
        return u.GetElement(0) + u.GetElement(1);
    }

    /// <summary>
    /// gradient[c] = scale · (reconstruction[c] - target[c]) with the difference rounded to float, and returns
    /// Σ_c (reconstruction[c] - target[c])² in double: each square is exact in double (a float has 24 significant bits),
    /// summed in <see cref="ErrorLanes"/> interleaved partial sums and a halving tree (see the remarks of the class).
    /// </summary>
    /// <param name="reconstruction">The decoded row.</param>
    /// <param name="target">The row it should match.</param>
    /// <param name="scale">The gradient's scale (for the mean squared error over B rows: 2 / B times the loss weight).</param>
    /// <param name="gradient">Receives the output gradient.</param>
    /// <param name="path">The kernel path.</param>
    /// <returns>The row's squared error.</returns>
    public static double SquaredErrorWithGradient(ReadOnlySpan<float> reconstruction, ReadOnlySpan<float> target, float scale, Span<float> gradient, KernelPath path)
    {
        var n = reconstruction.Length;
        Span<double> partial = stackalloc double[ErrorLanes];
        ref var rr = ref MemoryMarshal.GetReference(reconstruction);
        ref var rt = ref MemoryMarshal.GetReference(target);
        ref var rg = ref MemoryMarshal.GetReference(gradient);
        ref var rp = ref MemoryMarshal.GetReference(partial);
        var c = 0;
        if (path == KernelPath.Avx512Fma && Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(scale);
            var a0 = Vector512<double>.Zero;
            var a1 = Vector512<double>.Zero;
            for (; c + ErrorLanes <= n; c += ErrorLanes)
            {
                var diff = Vector512.LoadUnsafe(ref rr, (nuint)c) - Vector512.LoadUnsafe(ref rt, (nuint)c);
                (s * diff).StoreUnsafe(ref rg, (nuint)c);
                var lower = Vector512.WidenLower(diff);
                var upper = Vector512.WidenUpper(diff);
                a0 = (lower * lower) + a0;
                a1 = (upper * upper) + a1;
            }

            if (c == n)
            {
                // The tree in registers: lanes l + l + 8, then l + l + 4, l + l + 2, l + l + 1.
                return ReduceTree(a0 + a1);
            }

            a0.StoreUnsafe(ref rp);
            a1.StoreUnsafe(ref rp, 8);
        }
        else if (path != KernelPath.Scalar && Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(scale);
            var a0 = Vector256<double>.Zero;
            var a1 = Vector256<double>.Zero;
            var a2 = Vector256<double>.Zero;
            var a3 = Vector256<double>.Zero;
            for (; c + ErrorLanes <= n; c += ErrorLanes)
            {
                var diff0 = Vector256.LoadUnsafe(ref rr, (nuint)c) - Vector256.LoadUnsafe(ref rt, (nuint)c);
                var diff1 = Vector256.LoadUnsafe(ref rr, (nuint)(c + 8)) - Vector256.LoadUnsafe(ref rt, (nuint)(c + 8));
                (s * diff0).StoreUnsafe(ref rg, (nuint)c);
                (s * diff1).StoreUnsafe(ref rg, (nuint)(c + 8));
                var q0 = Vector256.WidenLower(diff0);
                var q1 = Vector256.WidenUpper(diff0);
                var q2 = Vector256.WidenLower(diff1);
                var q3 = Vector256.WidenUpper(diff1);
                a0 = (q0 * q0) + a0;
                a1 = (q1 * q1) + a1;
                a2 = (q2 * q2) + a2;
                a3 = (q3 * q3) + a3;
            }

            if (c == n)
            {
                return ReduceTree((a0 + a2) + (a1 + a3));
            }

            a0.StoreUnsafe(ref rp);
            a1.StoreUnsafe(ref rp, 4);
            a2.StoreUnsafe(ref rp, 8);
            a3.StoreUnsafe(ref rp, 12);
        }
        else
        {
            partial.Clear();
        }

        for (; c < n; c++)
        {
            var diff = reconstruction[c] - target[c];
            gradient[c] = scale * diff;
            partial[c % ErrorLanes] = ((double)diff * diff) + partial[c % ErrorLanes];
        }

        for (var half = ErrorLanes / 2; half >= 1; half /= 2)
        {
            for (var l = 0; l < half; l++)
            {
                partial[l] += partial[l + half];
            }
        }

        return partial[0];
    }

    /// <summary>
    /// Columns <paramref name="c"/> onward of <see cref="Decode"/> in vectors of <typeparamref name="TLanes"/>: blocks of
    /// eight vectors held in registers while the entries stream past, then single vectors; the rest is left to the caller.
    /// </summary>
    /// <returns>The first column not decoded.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int DecodeColumns<TLanes, TVector>(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, ref float w, int d, int c, bool hasBias, ref float bias, ref float output)
        where TLanes : struct, IVectorLanes<TVector>
        where TVector : struct
    {
        var n = TLanes.Count;
        for (; c + (8 * n) <= d; c += 8 * n)
        {
            var at = (nuint)c;
            TVector a0, a1, a2, a3, a4, a5, a6, a7;
            if (hasBias)
            {
                a0 = TLanes.Load(ref bias, at);
                a1 = TLanes.Load(ref bias, at + (nuint)n);
                a2 = TLanes.Load(ref bias, at + (nuint)(2 * n));
                a3 = TLanes.Load(ref bias, at + (nuint)(3 * n));
                a4 = TLanes.Load(ref bias, at + (nuint)(4 * n));
                a5 = TLanes.Load(ref bias, at + (nuint)(5 * n));
                a6 = TLanes.Load(ref bias, at + (nuint)(6 * n));
                a7 = TLanes.Load(ref bias, at + (nuint)(7 * n));
            }
            else
            {
                a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = TLanes.Zero;
            }

            for (var j = 0; j < indices.Length; j++)
            {
                var v = TLanes.Broadcast(values[j]);
                ref var r = ref Unsafe.Add(ref w, (nint)(indices[j] * d) + c);
                a0 = TLanes.MultiplyAdd<MultiplyThenAdd>(v, TLanes.Load(ref r, 0), a0);
                a1 = TLanes.MultiplyAdd<MultiplyThenAdd>(v, TLanes.Load(ref r, (nuint)n), a1);
                a2 = TLanes.MultiplyAdd<MultiplyThenAdd>(v, TLanes.Load(ref r, (nuint)(2 * n)), a2);
                a3 = TLanes.MultiplyAdd<MultiplyThenAdd>(v, TLanes.Load(ref r, (nuint)(3 * n)), a3);
                a4 = TLanes.MultiplyAdd<MultiplyThenAdd>(v, TLanes.Load(ref r, (nuint)(4 * n)), a4);
                a5 = TLanes.MultiplyAdd<MultiplyThenAdd>(v, TLanes.Load(ref r, (nuint)(5 * n)), a5);
                a6 = TLanes.MultiplyAdd<MultiplyThenAdd>(v, TLanes.Load(ref r, (nuint)(6 * n)), a6);
                a7 = TLanes.MultiplyAdd<MultiplyThenAdd>(v, TLanes.Load(ref r, (nuint)(7 * n)), a7);
            }

            TLanes.Store(a0, ref output, at);
            TLanes.Store(a1, ref output, at + (nuint)n);
            TLanes.Store(a2, ref output, at + (nuint)(2 * n));
            TLanes.Store(a3, ref output, at + (nuint)(3 * n));
            TLanes.Store(a4, ref output, at + (nuint)(4 * n));
            TLanes.Store(a5, ref output, at + (nuint)(5 * n));
            TLanes.Store(a6, ref output, at + (nuint)(6 * n));
            TLanes.Store(a7, ref output, at + (nuint)(7 * n));
        }

        for (; c + n <= d; c += n)
        {
            var acc = hasBias ? TLanes.Load(ref bias, (nuint)c) : TLanes.Zero;
            for (var j = 0; j < indices.Length; j++)
            {
                acc = TLanes.MultiplyAdd<MultiplyThenAdd>(TLanes.Broadcast(values[j]), TLanes.Load(ref w, (nuint)((indices[j] * d) + c)), acc);
            }

            TLanes.Store(acc, ref output, (nuint)c);
        }

        return c;
    }
}
