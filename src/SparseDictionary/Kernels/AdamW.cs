using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseDictionary.Kernels;

/// <summary>Hyper-parameters of one AdamW update, with the bias corrections of step t precomputed.</summary>
/// <param name="LearningRate">Step size lr.</param>
/// <param name="Beta1">First-moment decay.</param>
/// <param name="Beta2">Second-moment decay.</param>
/// <param name="Epsilon">Denominator floor.</param>
/// <param name="WeightDecay">Decoupled weight decay (0 for none).</param>
/// <param name="BiasCorrection1">1 - Beta1^t.</param>
/// <param name="BiasCorrection2">1 - Beta2^t.</param>
internal readonly record struct AdamWStep(float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, float BiasCorrection1, float BiasCorrection2)
{
    /// <summary>The hyper-parameters for step <paramref name="t"/> (1-based).</summary>
    public static AdamWStep ForStep(long t, float learningRate, float beta1, float beta2, float epsilon, float weightDecay) =>
        new(learningRate, beta1, beta2, epsilon, weightDecay,
            (float)(1 - Math.Pow(beta1, t)), (float)(1 - Math.Pow(beta2, t)));
}

/// <summary>
/// Fused AdamW update over one parameter array (Loshchilov and Hutter 2019, as in PyTorch's AdamW):
/// p &lt;- p - lr·wd·p; m &lt;- b1·m + (1-b1)·g; v &lt;- b2·v + (1-b2)·g²; p &lt;- p - lr·(m/c1) / (sqrt(v/c2) + eps),
/// with c1 = 1 - b1^t and c2 = 1 - b2^t. One pass reads p, g, m, v once and writes p, m, v once.
/// </summary>
internal static class AdamW
{
    private const int ParallelChunk = 1 << 16;

    /// <summary>Applies one update to <paramref name="parameters"/> in place, in parallel chunks.</summary>
    public static void Update(float[] parameters, float[] gradients, float[] firstMoment, float[] secondMoment, AdamWStep step, KernelPath path)
    {
        var n = parameters.Length;
        if (gradients.Length != n || firstMoment.Length != n || secondMoment.Length != n)
        {
            throw new ArgumentException($"AdamW buffers differ in length: parameters {n}, gradients {gradients.Length}, moments {firstMoment.Length} and {secondMoment.Length}.");
        }

        var chunks = (n + ParallelChunk - 1) / ParallelChunk;
        if (chunks <= 1)
        {
            UpdateRange(parameters, gradients, firstMoment, secondMoment, step, path);
            return;
        }

        Parallel.For(0, chunks, c =>
        {
            var start = c * ParallelChunk;
            var length = Math.Min(ParallelChunk, n - start);
            UpdateRange(parameters.AsSpan(start, length), gradients.AsSpan(start, length), firstMoment.AsSpan(start, length), secondMoment.AsSpan(start, length), step, path);
        });
    }

    /// <summary>Applies one update to a range, on the calling thread.</summary>
    public static void UpdateRange(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, AdamWStep s, KernelPath path)
    {
        var i = 0;
        if (path != KernelPath.Scalar && Vector256.IsHardwareAccelerated)
        {
            i = UpdateVector(p, g, m, v, s, fma: path == KernelPath.Avx2Fma && Fma.IsSupported);
        }

        var decay = 1 - (s.LearningRate * s.WeightDecay);
        var stepScale = s.LearningRate / s.BiasCorrection1;
        var invC2 = 1 / s.BiasCorrection2;
        for (; i < p.Length; i++)
        {
            var gi = g[i];
            var mi = (s.Beta1 * m[i]) + ((1 - s.Beta1) * gi);
            var vi = (s.Beta2 * v[i]) + ((1 - s.Beta2) * gi * gi);
            m[i] = mi;
            v[i] = vi;
            p[i] = (p[i] * decay) - (stepScale * mi / (MathF.Sqrt(vi * invC2) + s.Epsilon));
        }
    }

    /// <summary>The vector body: fused multiply-adds when <paramref name="fma"/>, separate multiply and add otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int UpdateVector(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, AdamWStep s, bool fma)
    {
        ref var rp = ref MemoryMarshal.GetReference(p);
        ref var rg = ref MemoryMarshal.GetReference(g);
        ref var rm = ref MemoryMarshal.GetReference(m);
        ref var rv = ref MemoryMarshal.GetReference(v);
        var b1 = Vector256.Create(s.Beta1);
        var b1c = Vector256.Create(1 - s.Beta1);
        var b2 = Vector256.Create(s.Beta2);
        var b2c = Vector256.Create(1 - s.Beta2);
        var decay = Vector256.Create(1 - (s.LearningRate * s.WeightDecay));
        var stepScale = Vector256.Create(s.LearningRate / s.BiasCorrection1);
        var invC2 = Vector256.Create(1 / s.BiasCorrection2);
        var eps = Vector256.Create(s.Epsilon);
        var i = 0;
        for (; i <= p.Length - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var off = (nuint)i;
            var gi = Vector256.LoadUnsafe(ref rg, off);
            var mOld = Vector256.LoadUnsafe(ref rm, off);
            var vOld = Vector256.LoadUnsafe(ref rv, off);
            var pOld = Vector256.LoadUnsafe(ref rp, off);
            var mi = fma ? Fma.MultiplyAdd(b1, mOld, b1c * gi) : (b1 * mOld) + (b1c * gi);
            var vi = fma ? Fma.MultiplyAdd(b2, vOld, b2c * gi * gi) : (b2 * vOld) + (b2c * gi * gi);
            mi.StoreUnsafe(ref rm, off);
            vi.StoreUnsafe(ref rv, off);
            var update = stepScale * mi / (Vector256.Sqrt(vi * invC2) + eps);
            (fma ? Fma.MultiplySubtract(pOld, decay, update) : (pOld * decay) - update).StoreUnsafe(ref rp, off);
        }

        return i;
    }
}
