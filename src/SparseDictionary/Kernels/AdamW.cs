using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    public static void Update(Memory<float> parameters, ReadOnlyMemory<float> gradients, Memory<float> firstMoment, Memory<float> secondMoment, AdamWStep step, KernelPath path)
    {
        var n = parameters.Length;
        if (gradients.Length != n || firstMoment.Length != n || secondMoment.Length != n)
        {
            throw new ArgumentException($"AdamW buffers differ in length: parameters {n}, gradients {gradients.Length}, moments {firstMoment.Length} and {secondMoment.Length}.");
        }

        var chunks = (n + ParallelChunk - 1) / ParallelChunk;
        if (chunks <= 1)
        {
            UpdateRange(parameters.Span, gradients.Span, firstMoment.Span, secondMoment.Span, step, path);
            return;
        }

        Parallel.For(0, chunks, c =>
        {
            var start = c * ParallelChunk;
            var length = Math.Min(ParallelChunk, n - start);
            UpdateRange(parameters.Span.Slice(start, length), gradients.Span.Slice(start, length), firstMoment.Span.Slice(start, length), secondMoment.Span.Slice(start, length), step, path);
        });
    }

    /// <summary>
    /// The whole update of a matrix whose rows are kept at unit norm (the decoder), in one pass over its rows: each
    /// gradient row loses its component along its weight row (<see cref="RowKernels.RemoveParallelComponent(Memory{float}, ReadOnlyMemory{float}, int, int)"/>), the
    /// AdamW step is applied (<see cref="Update"/>), and each weight row is scaled back to unit norm
    /// (<see cref="RowKernels.NormalizeRows"/>).
    /// </summary>
    /// <remarks>
    /// Bit-identical to those three calls in that order: each row goes through the same operations, and the AdamW step
    /// meets the vector and scalar parts of its loop at the same elements (chunks start on multiples of 8 elements and
    /// only the last one has a scalar tail). It reads and writes the h x d arrays once instead of three times; a chunk
    /// of rows stays in cache between the three steps.
    /// </remarks>
    /// <param name="weights">The weight rows (rows x d), updated in place and left at unit norm (zero rows stay zero).</param>
    /// <param name="gradients">Their gradient (rows x d); left projected, as <see cref="RowKernels.RemoveParallelComponent(Memory{float}, ReadOnlyMemory{float}, int, int)"/> leaves it.</param>
    /// <param name="firstMoment">AdamW first moment (rows x d).</param>
    /// <param name="secondMoment">AdamW second moment (rows x d).</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="d">Row length.</param>
    /// <param name="step">The step's hyper-parameters.</param>
    /// <param name="path">The kernel path of the AdamW step.</param>
    public static void UpdateUnitNormRows(Memory<float> weights, Memory<float> gradients, Memory<float> firstMoment, Memory<float> secondMoment, int rows, int d, AdamWStep step, KernelPath path)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        var n = (long)rows * d;
        if (weights.Length != n || gradients.Length != n || firstMoment.Length != n || secondMoment.Length != n)
        {
            throw new ArgumentException($"Buffers of {rows} x {d} = {n} entries expected: weights {weights.Length}, gradients {gradients.Length}, moments {firstMoment.Length} and {secondMoment.Length}.");
        }

        // A multiple of 8 rows, about 16K floats per array (4 arrays x 64 KB stay in L2 between the three steps).
        var rowsPerChunk = Math.Max(8, 16384 / Math.Max(1, d) / 8 * 8);
        var chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
        if (chunks <= 1)
        {
            UpdateUnitNormRowRange(weights, gradients, firstMoment, secondMoment, 0, rows, d, step, path);
            return;
        }

        Parallel.For(0, chunks, c =>
        {
            var first = c * rowsPerChunk;
            UpdateUnitNormRowRange(weights, gradients, firstMoment, secondMoment, first, Math.Min(rows, first + rowsPerChunk), d, step, path);
        });
    }

    /// <summary>
    /// <see cref="UpdateUnitNormRows"/> for one row: the gradient row loses its component along the weight row, the
    /// AdamW step is applied, and the weight row is scaled back to unit norm (a zero row stays zero).
    /// </summary>
    public static void UpdateUnitNormRow(Span<float> weights, Span<float> gradients, Span<float> firstMoment, Span<float> secondMoment, AdamWStep step, KernelPath path)
    {
        RowKernels.RemoveParallelComponent(gradients, weights);
        UpdateRange(weights, gradients, firstMoment, secondMoment, step, path);
        RowKernels.NormalizeRow(weights);
    }

    private static void UpdateUnitNormRowRange(Memory<float> weightsMemory, Memory<float> gradientsMemory, Memory<float> firstMoment, Memory<float> secondMoment, int firstRow, int endRow, int d, AdamWStep step, KernelPath path)
    {
        var start = firstRow * d;
        var length = (endRow - firstRow) * d;
        var weights = weightsMemory.Span.Slice(start, length);
        var gradients = gradientsMemory.Span.Slice(start, length);
        for (var r = 0; r < endRow - firstRow; r++)
        {
            RowKernels.RemoveParallelComponent(gradients.Slice(r * d, d), weights.Slice(r * d, d));
        }

        UpdateRange(weights, gradients, firstMoment.Span.Slice(start, length), secondMoment.Span.Slice(start, length), step, path);
        for (var r = 0; r < endRow - firstRow; r++)
        {
            RowKernels.NormalizeRow(weights.Slice(r * d, d));
        }
    }

    /// <summary>Applies one update to a range, on the calling thread.</summary>
    public static void UpdateRange(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, AdamWStep s, KernelPath path)
    {
        var i = 0;
        if (path != KernelPath.Scalar && Vector256.IsHardwareAccelerated)
        {
            i = KernelPaths.UsesFusedMultiplyAdd(path)
                ? UpdateVector<FusedMultiplyAdd>(p, g, m, v, s)
                : UpdateVector<MultiplyThenAdd>(p, g, m, v, s);
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

    /// <summary>The vector body, its three multiply-adds rounded as <typeparamref name="TMultiplyAdd"/> rounds them.</summary>
    /// <returns>The first element left to the scalar tail.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int UpdateVector<TMultiplyAdd>(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, AdamWStep s)
        where TMultiplyAdd : struct, IMultiplyAdd
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
            var mi = TMultiplyAdd.MultiplyAdd(b1, mOld, b1c * gi);
            var vi = TMultiplyAdd.MultiplyAdd(b2, vOld, b2c * gi * gi);
            mi.StoreUnsafe(ref rm, off);
            vi.StoreUnsafe(ref rv, off);
            var update = stepScale * mi / (Vector256.Sqrt(vi * invC2) + eps);
            TMultiplyAdd.MultiplySubtract(pOld, decay, update).StoreUnsafe(ref rp, off);
        }

        return i;
    }
}
