using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SparseDictionary.Kernels;

/// <summary>
/// The <see cref="SparseRowKernels.DotLanes"/> (32) float partial sums of a dot product, held in the registers of one
/// vector width: one generic loop in <see cref="SparseRowKernels"/> serves every width, and each width contributes only
/// how 32 consecutive lanes sit in its registers (two 512-bit or four 256-bit vectors). The implementations are structs,
/// so each width gets its own compiled copy with every call inlined.
/// </summary>
/// <typeparam name="TSelf">The implementing struct.</typeparam>
/// <remarks>Partial l holds the columns c with c mod 32 = l, each product rounded before the add; the tree adds partial
/// l + partial l + 16, then l + l + 8, l + l + 4, l + l + 2, l + l + 1, whatever the width.</remarks>
internal interface IDotPartials<TSelf>
    where TSelf : struct, IDotPartials<TSelf>
{
    /// <summary>Whether this width is hardware accelerated here.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>All partials zero.</summary>
    static abstract TSelf Zero { get; }

    /// <summary>partial[l] = (x[c + l] * y[c + l]) + partial[l] for the 32 lanes l.</summary>
    static abstract TSelf Add(TSelf sums, ref float x, ref float y, nuint c);

    /// <summary><see cref="Add"/> for two rows against one shared vector, which is loaded once.</summary>
    static abstract (TSelf First, TSelf Second) AddPair(TSelf first, TSelf second, ref float x0, ref float x1, ref float y, nuint c);

    /// <summary>The partials added in the halving tree.</summary>
    static abstract float Tree(TSelf sums);

    /// <summary>Writes the 32 partials from <paramref name="destination"/>.</summary>
    static abstract void Store(TSelf sums, ref float destination);
}

/// <summary>32 dot-product partials in two 512-bit registers (lanes 0-15 and 16-31).</summary>
internal readonly struct DotPartials512 : IDotPartials<DotPartials512>
{
    private readonly Vector512<float> _low;
    private readonly Vector512<float> _high;

    private DotPartials512(Vector512<float> low, Vector512<float> high) => (_low, _high) = (low, high);

    /// <inheritdoc/>
    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    /// <inheritdoc/>
    public static DotPartials512 Zero => default;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DotPartials512 Add(DotPartials512 sums, ref float x, ref float y, nuint c) => new(
        (Vector512.LoadUnsafe(ref x, c) * Vector512.LoadUnsafe(ref y, c)) + sums._low,
        (Vector512.LoadUnsafe(ref x, c + 16) * Vector512.LoadUnsafe(ref y, c + 16)) + sums._high);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (DotPartials512 First, DotPartials512 Second) AddPair(DotPartials512 first, DotPartials512 second, ref float x0, ref float x1, ref float y, nuint c)
    {
        var y0 = Vector512.LoadUnsafe(ref y, c);
        var y1 = Vector512.LoadUnsafe(ref y, c + 16);
        return (
            new((Vector512.LoadUnsafe(ref x0, c) * y0) + first._low, (Vector512.LoadUnsafe(ref x0, c + 16) * y1) + first._high),
            new((Vector512.LoadUnsafe(ref x1, c) * y0) + second._low, (Vector512.LoadUnsafe(ref x1, c + 16) * y1) + second._high));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tree(DotPartials512 sums)
    {
        // l + l + 16, then l + l + 8, and the rest in one 256-bit register.
        var sixteen = sums._low + sums._high;
        return DotPartials256.Tree(sixteen.GetLower() + sixteen.GetUpper());
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(DotPartials512 sums, ref float destination)
    {
        sums._low.StoreUnsafe(ref destination);
        sums._high.StoreUnsafe(ref destination, 16);
    }
}

/// <summary>32 dot-product partials in four 256-bit registers (lanes 0-7, 8-15, 16-23, 24-31).</summary>
internal readonly struct DotPartials256 : IDotPartials<DotPartials256>
{
    private readonly Vector256<float> _p0;
    private readonly Vector256<float> _p1;
    private readonly Vector256<float> _p2;
    private readonly Vector256<float> _p3;

    private DotPartials256(Vector256<float> p0, Vector256<float> p1, Vector256<float> p2, Vector256<float> p3) => (_p0, _p1, _p2, _p3) = (p0, p1, p2, p3);

    /// <inheritdoc/>
    public static bool IsSupported => Vector256.IsHardwareAccelerated;

    /// <inheritdoc/>
    public static DotPartials256 Zero => default;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DotPartials256 Add(DotPartials256 sums, ref float x, ref float y, nuint c) => new(
        (Vector256.LoadUnsafe(ref x, c) * Vector256.LoadUnsafe(ref y, c)) + sums._p0,
        (Vector256.LoadUnsafe(ref x, c + 8) * Vector256.LoadUnsafe(ref y, c + 8)) + sums._p1,
        (Vector256.LoadUnsafe(ref x, c + 16) * Vector256.LoadUnsafe(ref y, c + 16)) + sums._p2,
        (Vector256.LoadUnsafe(ref x, c + 24) * Vector256.LoadUnsafe(ref y, c + 24)) + sums._p3);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (DotPartials256 First, DotPartials256 Second) AddPair(DotPartials256 first, DotPartials256 second, ref float x0, ref float x1, ref float y, nuint c)
    {
        var y0 = Vector256.LoadUnsafe(ref y, c);
        var y1 = Vector256.LoadUnsafe(ref y, c + 8);
        var y2 = Vector256.LoadUnsafe(ref y, c + 16);
        var y3 = Vector256.LoadUnsafe(ref y, c + 24);
        return (
            new(
                (Vector256.LoadUnsafe(ref x0, c) * y0) + first._p0,
                (Vector256.LoadUnsafe(ref x0, c + 8) * y1) + first._p1,
                (Vector256.LoadUnsafe(ref x0, c + 16) * y2) + first._p2,
                (Vector256.LoadUnsafe(ref x0, c + 24) * y3) + first._p3),
            new(
                (Vector256.LoadUnsafe(ref x1, c) * y0) + second._p0,
                (Vector256.LoadUnsafe(ref x1, c + 8) * y1) + second._p1,
                (Vector256.LoadUnsafe(ref x1, c + 16) * y2) + second._p2,
                (Vector256.LoadUnsafe(ref x1, c + 24) * y3) + second._p3));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tree(DotPartials256 sums) => Tree((sums._p0 + sums._p2) + (sums._p1 + sums._p3));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(DotPartials256 sums, ref float destination)
    {
        sums._p0.StoreUnsafe(ref destination);
        sums._p1.StoreUnsafe(ref destination, 8);
        sums._p2.StoreUnsafe(ref destination, 16);
        sums._p3.StoreUnsafe(ref destination, 24);
    }

    /// <summary>The end of the halving tree over 8 float partials: l + l + 4, l + l + 2, l + l + 1.</summary>
    /// <param name="v">Partials 0..7.</param>
    /// <returns>Their sum in the tree's order.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Tree(Vector256<float> v)
    {
        var t = v.GetLower() + v.GetUpper();
        return (t.GetElement(0) + t.GetElement(2)) + (t.GetElement(1) + t.GetElement(3));
    }
}
