using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SparseDictionary.Kernels;

/// <summary>
/// The <see cref="SparseRowKernels.ErrorLanes"/> (16) double partial sums of a squared error, held in the registers of
/// one vector width, as <see cref="IDotPartials{TSelf}"/> holds a dot product's: one generic loop in
/// <see cref="SparseRowKernels"/>, and each width contributes only how 16 consecutive lanes sit in its registers (two
/// 512-bit or four 256-bit vectors of doubles).
/// </summary>
/// <typeparam name="TSelf">The implementing struct.</typeparam>
/// <remarks>Partial l holds the columns c with c mod 16 = l; the tree adds partial l + partial l + 8, then l + l + 4,
/// l + l + 2, l + l + 1, whatever the width.</remarks>
internal interface IErrorPartials<TSelf>
    where TSelf : struct, IErrorPartials<TSelf>
{
    /// <summary>Whether this width is hardware accelerated here.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>All partials zero.</summary>
    static abstract TSelf Zero { get; }

    /// <summary>
    /// For the 16 columns from <paramref name="c"/>: diff = reconstruction - target rounded to float,
    /// gradient = <paramref name="scale"/> · diff, partial[l] = (double)diff² + partial[l].
    /// </summary>
    static abstract TSelf Add(TSelf sums, ref float reconstruction, ref float target, ref float gradient, float scale, nuint c);

    /// <summary>The partials added in the halving tree.</summary>
    static abstract double Tree(TSelf sums);

    /// <summary>Writes the 16 partials from <paramref name="destination"/>.</summary>
    static abstract void Store(TSelf sums, ref double destination);
}

/// <summary>16 squared-error partials in two 512-bit registers of doubles (lanes 0-7 and 8-15).</summary>
internal readonly struct ErrorPartials512 : IErrorPartials<ErrorPartials512>
{
    private readonly Vector512<double> _low;
    private readonly Vector512<double> _high;

    private ErrorPartials512(Vector512<double> low, Vector512<double> high) => (_low, _high) = (low, high);

    /// <inheritdoc/>
    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    /// <inheritdoc/>
    public static ErrorPartials512 Zero => default;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ErrorPartials512 Add(ErrorPartials512 sums, ref float reconstruction, ref float target, ref float gradient, float scale, nuint c)
    {
        var diff = Vector512.LoadUnsafe(ref reconstruction, c) - Vector512.LoadUnsafe(ref target, c);
        (Vector512.Create(scale) * diff).StoreUnsafe(ref gradient, c);
        var lower = Vector512.WidenLower(diff);
        var upper = Vector512.WidenUpper(diff);
        return new((lower * lower) + sums._low, (upper * upper) + sums._high);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Tree(ErrorPartials512 sums)
    {
        // l + l + 8, then l + l + 4, and the rest in one 256-bit register.
        var eight = sums._low + sums._high;
        return ErrorPartials256.Tree(eight.GetLower() + eight.GetUpper());
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(ErrorPartials512 sums, ref double destination)
    {
        sums._low.StoreUnsafe(ref destination);
        sums._high.StoreUnsafe(ref destination, 8);
    }
}

/// <summary>16 squared-error partials in four 256-bit registers of doubles (lanes 0-3, 4-7, 8-11, 12-15).</summary>
internal readonly struct ErrorPartials256 : IErrorPartials<ErrorPartials256>
{
    private readonly Vector256<double> _p0;
    private readonly Vector256<double> _p1;
    private readonly Vector256<double> _p2;
    private readonly Vector256<double> _p3;

    private ErrorPartials256(Vector256<double> p0, Vector256<double> p1, Vector256<double> p2, Vector256<double> p3) => (_p0, _p1, _p2, _p3) = (p0, p1, p2, p3);

    /// <inheritdoc/>
    public static bool IsSupported => Vector256.IsHardwareAccelerated;

    /// <inheritdoc/>
    public static ErrorPartials256 Zero => default;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ErrorPartials256 Add(ErrorPartials256 sums, ref float reconstruction, ref float target, ref float gradient, float scale, nuint c)
    {
        var s = Vector256.Create(scale);
        var diff0 = Vector256.LoadUnsafe(ref reconstruction, c) - Vector256.LoadUnsafe(ref target, c);
        var diff1 = Vector256.LoadUnsafe(ref reconstruction, c + 8) - Vector256.LoadUnsafe(ref target, c + 8);
        (s * diff0).StoreUnsafe(ref gradient, c);
        (s * diff1).StoreUnsafe(ref gradient, c + 8);
        var q0 = Vector256.WidenLower(diff0);
        var q1 = Vector256.WidenUpper(diff0);
        var q2 = Vector256.WidenLower(diff1);
        var q3 = Vector256.WidenUpper(diff1);
        return new((q0 * q0) + sums._p0, (q1 * q1) + sums._p1, (q2 * q2) + sums._p2, (q3 * q3) + sums._p3);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Tree(ErrorPartials256 sums) => Tree((sums._p0 + sums._p2) + (sums._p1 + sums._p3));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(ErrorPartials256 sums, ref double destination)
    {
        sums._p0.StoreUnsafe(ref destination);
        sums._p1.StoreUnsafe(ref destination, 4);
        sums._p2.StoreUnsafe(ref destination, 8);
        sums._p3.StoreUnsafe(ref destination, 12);
    }

    /// <summary>The end of the halving tree over 4 double partials: l + l + 2, l + l + 1.</summary>
    /// <param name="v">Partials 0..3.</param>
    /// <returns>Their sum in the tree's order.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Tree(Vector256<double> v)
    {
        var u = v.GetLower() + v.GetUpper();
        return u.GetElement(0) + u.GetElement(1);
    }
}
