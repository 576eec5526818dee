namespace SparseDictionary.Kernels;

/// <summary>The instruction-set path a kernel runs on.</summary>
/// <remarks>
/// Kernels pick the best supported path at run time: <see cref="Avx512Fma"/> where the CPU has AVX-512 F, AVX2 and
/// FMA, else <see cref="Avx2Fma"/> where it has AVX2 and FMA, else <see cref="Vector256"/> (portable <c>System.Runtime.Intrinsics.Vector256</c>, hardware accelerated or emulated),
/// else <see cref="Scalar"/>. Tests and benchmarks can force a slower path with <see cref="KernelPaths.Force"/>.
/// </remarks>
public enum KernelPath
{
    /// <summary>Plain scalar loops; always available; the reference the other paths are tested against.</summary>
    Scalar = 0,

    /// <summary>Portable 256-bit vectors (<c>Vector256&lt;float&gt;</c>), without fused multiply-add.</summary>
    Vector256 = 1,

    /// <summary>x86 AVX2 with fused multiply-add intrinsics.</summary>
    Avx2Fma = 2,

    /// <summary>
    /// x86 AVX-512 (F) with fused multiply-add: the GEMM (a 12 x 32 block kernel), top-k selection, the sparse decode,
    /// code-gradient dots and weight gradients run on 512-bit registers; the other kernels run their
    /// <see cref="Avx2Fma"/> code. Bit-identical to <see cref="Avx2Fma"/>: every element gets the same operations in the
    /// same order, only more lanes at a time.
    /// </summary>
    Avx512Fma = 3,
}
