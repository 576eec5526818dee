namespace SparseDictionary.Kernels;

/// <summary>The instruction-set path a kernel runs on.</summary>
/// <remarks>
/// Kernels pick the best supported path at run time: <see cref="Avx2Fma"/> where the CPU has AVX2 and FMA,
/// else <see cref="Vector256"/> (portable <c>System.Runtime.Intrinsics.Vector256</c>, hardware accelerated or emulated),
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
}
