using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseDictionary.Kernels;

/// <summary>
/// The vector operations the sparse kernels need, at one register width, so that one generic method serves the 512-bit
/// and the 256-bit path: the implementations are structs, so each width gets its own compiled copy with every call
/// inlined.
/// </summary>
/// <typeparam name="TVector">The vector type.</typeparam>
internal interface IVectorLanes<TVector>
    where TVector : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    /// <summary>A vector of zeros.</summary>
    static abstract TVector Zero { get; }

    /// <summary>A vector with <paramref name="value"/> in every lane.</summary>
    static abstract TVector Broadcast(float value);

    /// <summary>The vector at <paramref name="source"/> + <paramref name="offset"/> floats.</summary>
    static abstract TVector Load(ref float source, nuint offset);

    /// <summary>Stores <paramref name="value"/> at <paramref name="destination"/> + <paramref name="offset"/> floats.</summary>
    static abstract void Store(TVector value, ref float destination, nuint offset);

    /// <summary><c>(a * b) + c</c> per lane, the product rounded before the add (not fused).</summary>
    static abstract TVector MultiplyThenAdd(TVector a, TVector b, TVector c);

    /// <summary><c>a * b + c</c> per lane with one rounding (x86 FMA; only on the paths that have it).</summary>
    static abstract TVector FusedMultiplyAdd(TVector a, TVector b, TVector c);
}

/// <summary>512-bit lanes (AVX-512 F).</summary>
internal readonly struct Lanes512 : IVectorLanes<Vector512<float>>
{
    /// <inheritdoc/>
    public static int Count => Vector512<float>.Count;

    /// <inheritdoc/>
    public static Vector512<float> Zero => Vector512<float>.Zero;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyThenAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => (a * b) + c;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FusedMultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.FusedMultiplyAdd(a, b, c);
}

/// <summary>256-bit lanes (portable <see cref="Vector256{T}"/>; the fused multiply-add needs x86 FMA).</summary>
internal readonly struct Lanes256 : IVectorLanes<Vector256<float>>
{
    /// <inheritdoc/>
    public static int Count => Vector256<float>.Count;

    /// <inheritdoc/>
    public static Vector256<float> Zero => Vector256<float>.Zero;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyThenAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => (a * b) + c;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FusedMultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Fma.MultiplyAdd(a, b, c);
}
