using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseDictionary.Kernels;

/// <summary>Chooses the <see cref="KernelPath"/> kernels run on, and lets callers force a slower one.</summary>
public static class KernelPaths
{
    private static readonly AsyncLocal<KernelPath?> s_forced = new();

    /// <summary>The fastest path this CPU supports.</summary>
    public static KernelPath Best { get; } =
        Avx2.IsSupported && Fma.IsSupported ? KernelPath.Avx2Fma
        : Vector256.IsHardwareAccelerated ? KernelPath.Vector256
        : KernelPath.Scalar;

    /// <summary>The path kernels called from the current execution context use: a forced one, else <see cref="Best"/>.</summary>
    public static KernelPath Current => s_forced.Value ?? Best;

    /// <summary>
    /// Forces <paramref name="path"/> for kernels called from the current execution context (it flows into
    /// tasks and parallel loops started inside the scope) until the returned scope is disposed.
    /// </summary>
    /// <param name="path">The path to force. <see cref="KernelPath.Vector256"/> runs on any CPU (emulated where
    /// not accelerated); <see cref="KernelPath.Avx2Fma"/> needs AVX2 and FMA.</param>
    /// <returns>A scope that restores the previous path when disposed.</returns>
    /// <exception cref="PlatformNotSupportedException"><paramref name="path"/> is <see cref="KernelPath.Avx2Fma"/> and the CPU lacks AVX2 or FMA.</exception>
    public static IDisposable Force(KernelPath path)
    {
        if (!Enum.IsDefined(path))
        {
            throw new ArgumentOutOfRangeException(nameof(path), path, "Expected Scalar, Vector256 or Avx2Fma.");
        }

        if (path == KernelPath.Avx2Fma && !(Avx2.IsSupported && Fma.IsSupported))
        {
            throw new PlatformNotSupportedException("KernelPath.Avx2Fma needs AVX2 and FMA, which this CPU lacks.");
        }

        var previous = s_forced.Value;
        s_forced.Value = path;
        return new Scope(previous);
    }

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
