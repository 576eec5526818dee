using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseDictionary.Kernels;

/// <summary>Chooses the <see cref="KernelPath"/> kernels run on, and lets callers force a slower one.</summary>
public static class KernelPaths
{
    private static readonly AsyncLocal<KernelPath?> s_forced = new();

    /// <summary>The fastest path this CPU supports.</summary>
    public static KernelPath Best { get; } =
        IsSupported(KernelPath.Avx512Fma) ? KernelPath.Avx512Fma
        : IsSupported(KernelPath.Avx2Fma) ? KernelPath.Avx2Fma
        : Vector256.IsHardwareAccelerated ? KernelPath.Vector256
        : KernelPath.Scalar;

    /// <summary>The path kernels called from the current execution context use: a forced one, else <see cref="Best"/>.</summary>
    public static KernelPath Current => s_forced.Value ?? Best;

    /// <summary>
    /// Forces <paramref name="path"/> for kernels called from the current execution context (it flows into
    /// tasks and parallel loops started inside the scope) until the returned scope is disposed.
    /// </summary>
    /// <param name="path">The path to force. <see cref="KernelPath.Vector256"/> runs on any CPU (emulated where
    /// not accelerated); <see cref="KernelPath.Avx2Fma"/> needs AVX2 and FMA; <see cref="KernelPath.Avx512Fma"/>
    /// needs AVX-512 F as well.</param>
    /// <returns>A scope that restores the previous path when disposed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="path"/> is not a defined path.</exception>
    /// <exception cref="PlatformNotSupportedException">The CPU lacks the instructions <paramref name="path"/> needs.</exception>
    public static IDisposable Force(KernelPath path)
    {
        if (!Enum.IsDefined(path))
        {
            throw new ArgumentOutOfRangeException(nameof(path), path, "Expected Scalar, Vector256, Avx2Fma or Avx512Fma.");
        }

        if (!IsSupported(path))
        {
            string needs = path == KernelPath.Avx2Fma ? "AVX2 and FMA" : "AVX-512 F, AVX2 and FMA";
            throw new PlatformNotSupportedException($"KernelPath.{path} needs {needs}, which this CPU lacks.");
        }

        var previous = s_forced.Value;
        s_forced.Value = path;
        return new Scope(previous);
    }

    /// <summary>Whether this CPU can run <paramref name="path"/>.</summary>
    /// <param name="path">A path.</param>
    /// <returns><see langword="true"/> for <see cref="KernelPath.Scalar"/> and <see cref="KernelPath.Vector256"/> (emulated where not
    /// accelerated), and for the x86 paths when the CPU has their instructions.</returns>
    public static bool IsSupported(KernelPath path) => path switch
    {
        KernelPath.Scalar or KernelPath.Vector256 => true,
        KernelPath.Avx2Fma => Avx2.IsSupported && Fma.IsSupported,
        KernelPath.Avx512Fma => Avx512F.IsSupported && Avx2.IsSupported && Fma.IsSupported,
        _ => false,
    };

    /// <summary>Whether <paramref name="path"/> runs the x86 fused multiply-add code (<see cref="KernelPath.Avx2Fma"/> or <see cref="KernelPath.Avx512Fma"/>).</summary>
    /// <param name="path">A path.</param>
    /// <returns><see langword="true"/> for the two fused x86 paths.</returns>
    internal static bool UsesFma(KernelPath path) => path is KernelPath.Avx2Fma or KernelPath.Avx512Fma;

    /// <summary>
    /// Whether kernels on <paramref name="path"/> run their <see cref="FusedMultiplyAdd"/> copy (else their
    /// <see cref="MultiplyThenAdd"/> copy): <see cref="UsesFma"/>, and the JIT knows this CPU has FMA, so the fused
    /// copy is never compiled where the instruction is missing. Callers decide once, outside their loops.
    /// </summary>
    /// <param name="path">A path.</param>
    /// <returns><see langword="true"/> for the two fused x86 paths.</returns>
    internal static bool UsesFusedMultiplyAdd(KernelPath path) => UsesFma(path) && Fma.IsSupported;

    private sealed class Scope(KernelPath? previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (!_disposed)
            {
                s_forced.Value = previous;
                _disposed = true;
            }
        }
    }
}
