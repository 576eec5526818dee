using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseDictionary.Kernels;

/// <summary>
/// How a kernel rounds <c>a * b + c</c>: <see cref="MultiplyThenAdd"/> rounds the product and then the sum (the
/// <see cref="KernelPath.Scalar"/> and <see cref="KernelPath.Vector256"/> arithmetic), <see cref="FusedMultiplyAdd"/>
/// rounds once (x86 FMA: the <see cref="KernelPath.Avx2Fma"/> and <see cref="KernelPath.Avx512Fma"/> arithmetic).
/// </summary>
/// <remarks>
/// A kernel takes the rounding as a type parameter constrained to this interface instead of a run-time flag: the
/// implementations are structs, so each gets its own compiled copy of the kernel, every call inlined to the bare
/// instructions and no branch left in the inner loop. The caller picks the copy once, outside the loops, with
/// <see cref="KernelPaths.UsesFusedMultiplyAdd"/>. Generic code over a vector width reaches these through
/// <see cref="IVectorLanes{TVector}.MultiplyAdd{TMultiplyAdd}"/>.
/// </remarks>
internal interface IMultiplyAdd
{
    /// <summary><c>a * b + c</c> per lane of 256-bit vectors.</summary>
    static abstract Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c);

    /// <summary><c>a * b + c</c> per lane of 512-bit vectors.</summary>
    static abstract Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c);

    /// <summary><c>a * b - c</c> per lane of 256-bit vectors.</summary>
    static abstract Vector256<float> MultiplySubtract(Vector256<float> a, Vector256<float> b, Vector256<float> c);
}

/// <summary>
/// <c>(a * b) + c</c>: the product rounded to float before the add, two roundings, as plain float code computes it.
/// Runs on any CPU (portable vectors, emulated where not accelerated).
/// </summary>
internal readonly struct MultiplyThenAdd : IMultiplyAdd
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => (a * b) + c;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => (a * b) + c;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplySubtract(Vector256<float> a, Vector256<float> b, Vector256<float> c) => (a * b) - c;
}

/// <summary>
/// <c>a * b + c</c> with one rounding (x86 FMA; the 512-bit form needs AVX-512 F). Only for the paths that have the
/// instructions: <see cref="KernelPaths.UsesFusedMultiplyAdd"/>.
/// </summary>
internal readonly struct FusedMultiplyAdd : IMultiplyAdd
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Fma.MultiplyAdd(a, b, c);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplySubtract(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Fma.MultiplySubtract(a, b, c);
}
