using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SparseDictionary.Kernels;

/// <summary>
/// The vector operations the sparse kernels need, at one register width, so that one generic method serves the 512-bit
/// and the 256-bit path: the implementations are structs, so each width gets its own compiled copy with every call
/// inlined. How a multiply-add rounds is a separate choice, <see cref="IMultiplyAdd"/>.
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

    /// <summary><c>a * b + c</c> per lane, rounded as <typeparamref name="TMultiplyAdd"/> rounds it.</summary>
    /// <typeparam name="TMultiplyAdd"><see cref="MultiplyThenAdd"/> or <see cref="FusedMultiplyAdd"/>.</typeparam>
    static abstract TVector MultiplyAdd<TMultiplyAdd>(TVector a, TVector b, TVector c)
        where TMultiplyAdd : struct, IMultiplyAdd;
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
    public static Vector512<float> MultiplyAdd<TMultiplyAdd>(Vector512<float> a, Vector512<float> b, Vector512<float> c)
        where TMultiplyAdd : struct, IMultiplyAdd => TMultiplyAdd.MultiplyAdd(a, b, c);
}

/// <summary>256-bit lanes (portable <see cref="Vector256{T}"/>).</summary>
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
    public static Vector256<float> MultiplyAdd<TMultiplyAdd>(Vector256<float> a, Vector256<float> b, Vector256<float> c)
        where TMultiplyAdd : struct, IMultiplyAdd => TMultiplyAdd.MultiplyAdd(a, b, c);
}
