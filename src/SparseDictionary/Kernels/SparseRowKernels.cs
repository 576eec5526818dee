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
            if (path == KernelPath.Avx512Fma && DotPartials512.IsSupported)
            {
                j = DotPairs<DotPartials512>(indices, weights, d, gradient, destination);
            }
            else if (DotPartials256.IsSupported)
            {
                j = DotPairs<DotPartials256>(indices, weights, d, gradient, destination);
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
        if (path == KernelPath.Avx512Fma && DotPartials512.IsSupported)
        {
            return Dot<DotPartials512>(x, y);
        }

        if (path != KernelPath.Scalar && DotPartials256.IsSupported)
        {
            return Dot<DotPartials256>(x, y);
        }

        Span<float> zero = stackalloc float[DotLanes];
        zero.Clear();
        return FinishDot(x, y, 0, zero);
    }

    /// <summary><see cref="Dot"/> with the partials in registers of <typeparamref name="TSums"/>'s width.</summary>
    /// <typeparam name="TSums">The partials' register layout.</typeparam>
    /// <param name="x">The first vector.</param>
    /// <param name="y">The second vector, as long.</param>
    /// <returns>The dot product.</returns>
    private static float Dot<TSums>(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
        where TSums : struct, IDotPartials<TSums>
    {
        var n = x.Length;
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y);
        var sums = TSums.Zero;
        var c = 0;
        for (; c + DotLanes <= n; c += DotLanes)
        {
            sums = TSums.Add(sums, ref rx, ref ry, (nuint)c);
        }

        if (c == n)
        {
            // The whole tree in registers.
            return TSums.Tree(sums);
        }

        Span<float> partial = stackalloc float[DotLanes];
        TSums.Store(sums, ref MemoryMarshal.GetReference(partial));
        return FinishDot(x, y, c, partial);
    }

    /// <summary>
    /// The <see cref="Dots"/> of the entries two at a time, d a multiple of <see cref="DotLanes"/>, with the partials in
    /// registers of <typeparamref name="TSums"/>'s width.
    /// </summary>
    /// <typeparam name="TSums">The partials' register layout.</typeparam>
    /// <returns>The number of entries done (the last odd one is left to the caller).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int DotPairs<TSums>(ReadOnlySpan<int> indices, ReadOnlySpan<float> weights, int d, ReadOnlySpan<float> gradient, Span<float> destination)
        where TSums : struct, IDotPartials<TSums>
    {
        ref var w = ref MemoryMarshal.GetReference(weights);
        ref var g = ref MemoryMarshal.GetReference(gradient);
        var j = 0;
        for (; j + 2 <= indices.Length; j += 2)
        {
            ref var x0 = ref Unsafe.Add(ref w, indices[j] * d);
            ref var x1 = ref Unsafe.Add(ref w, indices[j + 1] * d);
            var first = TSums.Zero;
            var second = TSums.Zero;
            for (nuint c = 0; c < (nuint)d; c += DotLanes)
            {
                (first, second) = TSums.AddPair(first, second, ref x0, ref x1, ref g, c);
            }

            destination[j] = TSums.Tree(first);
            destination[j + 1] = TSums.Tree(second);
        }

        return j;
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
        Span<double> partial = stackalloc double[ErrorLanes];
        int c;
        if (path == KernelPath.Avx512Fma && ErrorPartials512.IsSupported)
        {
            c = SquaredErrorColumns<ErrorPartials512>(reconstruction, target, scale, gradient, partial, out var total);
            if (c == reconstruction.Length)
            {
                return total;
            }
        }
        else if (path != KernelPath.Scalar && ErrorPartials256.IsSupported)
        {
            c = SquaredErrorColumns<ErrorPartials256>(reconstruction, target, scale, gradient, partial, out var total);
            if (c == reconstruction.Length)
            {
                return total;
            }
        }
        else
        {
            c = 0;
            partial.Clear();
        }

        for (; c < reconstruction.Length; c++)
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
    /// The whole blocks of <see cref="ErrorLanes"/> columns of <see cref="SquaredErrorWithGradient"/>, with the partials in
    /// registers of <typeparamref name="TSums"/>'s width.
    /// </summary>
    /// <typeparam name="TSums">The partials' register layout.</typeparam>
    /// <param name="reconstruction">The decoded row.</param>
    /// <param name="target">The row it should match.</param>
    /// <param name="scale">The gradient's scale.</param>
    /// <param name="gradient">Receives the output gradient of the columns summed.</param>
    /// <param name="partial">Receives the partials when columns are left over.</param>
    /// <param name="total">The squared error when no column is left over (the tree in registers).</param>
    /// <returns>The first column not summed.</returns>
    private static int SquaredErrorColumns<TSums>(ReadOnlySpan<float> reconstruction, ReadOnlySpan<float> target, float scale, Span<float> gradient, Span<double> partial, out double total)
        where TSums : struct, IErrorPartials<TSums>
    {
        var n = reconstruction.Length;
        ref var rr = ref MemoryMarshal.GetReference(reconstruction);
        ref var rt = ref MemoryMarshal.GetReference(target);
        ref var rg = ref MemoryMarshal.GetReference(gradient);
        var sums = TSums.Zero;
        var c = 0;
        for (; c + ErrorLanes <= n; c += ErrorLanes)
        {
            sums = TSums.Add(sums, ref rr, ref rt, ref rg, scale, (nuint)c);
        }

        total = 0;
        if (c == n)
        {
            total = TSums.Tree(sums);
        }
        else
        {
            TSums.Store(sums, ref MemoryMarshal.GetReference(partial));
        }

        return c;
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
