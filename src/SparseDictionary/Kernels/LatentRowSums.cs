using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseDictionary.Kernels;

/// <summary>
/// One latent's two weight-gradient rows summed over its entries of one row tile:
/// decoderRow += Σ_e values[e] · outputGradient[rows[e]] and encoderRow += Σ_e preGradients[e] · input[rows[e]],
/// entries in order.
/// </summary>
/// <remarks>
/// 32 columns at a time are held in registers (four vectors for each row) while the entries stream past, so a gradient
/// row is loaded and stored once per tile instead of once per entry. Each column sees the same operations in the same
/// order as a plain per-entry y += a · x: rounded as <c>TMultiplyAdd</c> rounds it in the vector columns (fused on
/// <see cref="KernelPath.Avx2Fma"/> and <see cref="KernelPath.Avx512Fma"/>, which give the same bits), product then
/// sum in the last d mod 8 columns and on <see cref="KernelPath.Scalar"/>.
/// </remarks>
internal static class LatentRowSums
{
    /// <summary>Adds the sums over <paramref name="entries"/> to the two rows (or writes them, with <paramref name="fromZero"/>).</summary>
    /// <typeparam name="TMultiplyAdd">How the vector columns round each multiply-add; <see cref="FusedMultiplyAdd"/> on the paths that use FMA.</typeparam>
    /// <param name="entries">The latent's entries of one tile.</param>
    /// <param name="outputGradient">The batch's output gradient (rows x <paramref name="d"/>).</param>
    /// <param name="input">The batch's encoder input (rows x <paramref name="d"/>).</param>
    /// <param name="d">The row length.</param>
    /// <param name="decoderRow">The latent's decoder-gradient row.</param>
    /// <param name="encoderRow">The latent's encoder-gradient row.</param>
    /// <param name="path">The kernel path (register width; <see cref="KernelPath.Scalar"/> runs no vector code).</param>
    /// <param name="fromZero">Whether the sums start from zero instead of from the rows' contents (which are then never read).</param>
    public static void Accumulate<TMultiplyAdd>(
        LatentEntries entries,
        ReadOnlySpan<float> outputGradient,
        ReadOnlySpan<float> input,
        int d,
        Span<float> decoderRow,
        Span<float> encoderRow,
        KernelPath path,
        bool fromZero)
        where TMultiplyAdd : struct, IMultiplyAdd
    {
        var rows = entries.Rows;
        var values = entries.Values;
        var preGradients = entries.PreGradients;
        var c = 0;
        if (path == KernelPath.Avx512Fma && Avx512F.IsSupported)
        {
            for (; c + (4 * Vector512<float>.Count) <= d; c += 4 * Vector512<float>.Count)
            {
                AccumulateColumns4<Lanes512, Vector512<float>, TMultiplyAdd>(rows, values, preGradients, outputGradient, input, d, c, decoderRow, encoderRow, fromZero);
            }
        }

        if (path != KernelPath.Scalar && Vector256.IsHardwareAccelerated)
        {
            var vectorEnd = d - (d % Vector256<float>.Count);
            for (; c <= vectorEnd - (4 * Vector256<float>.Count); c += 4 * Vector256<float>.Count)
            {
                AccumulateColumns4<Lanes256, Vector256<float>, TMultiplyAdd>(rows, values, preGradients, outputGradient, input, d, c, decoderRow, encoderRow, fromZero);
            }

            for (; c < vectorEnd; c += Vector256<float>.Count)
            {
                AccumulateColumns1<TMultiplyAdd>(rows, values, preGradients, outputGradient, input, d, c, decoderRow, encoderRow, fromZero);
            }
        }

        for (; c < d; c++)
        {
            var dec = fromZero ? 0f : decoderRow[c];
            var enc = fromZero ? 0f : encoderRow[c];
            for (var e = 0; e < rows.Length; e++)
            {
                var at = (rows[e] * d) + c;
                dec += values[e] * outputGradient[at];
                enc += preGradients[e] * input[at];
            }

            decoderRow[c] = dec;
            encoderRow[c] = enc;
        }
    }

    /// <summary>
    /// Columns c .. c + 4 vectors of <see cref="Accumulate"/> in eight registers of <typeparamref name="TLanes"/>
    /// (four for the decoder row, four for the encoder row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateColumns4<TLanes, TVector, TMultiplyAdd>(
        ReadOnlySpan<int> rows, ReadOnlySpan<float> values, ReadOnlySpan<float> preGradients, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input,
        int d, int c, Span<float> decoderRow, Span<float> encoderRow, bool fromZero)
        where TLanes : struct, IVectorLanes<TVector>
        where TVector : struct
        where TMultiplyAdd : struct, IMultiplyAdd
    {
        var w = (nuint)TLanes.Count;
        ref var dec = ref Unsafe.Add(ref MemoryMarshal.GetReference(decoderRow), c);
        ref var enc = ref Unsafe.Add(ref MemoryMarshal.GetReference(encoderRow), c);
        ref var outOrigin = ref MemoryMarshal.GetReference(outputGradient);
        ref var inOrigin = ref MemoryMarshal.GetReference(input);
        var d0 = fromZero ? TLanes.Zero : TLanes.Load(ref dec, 0);
        var d1 = fromZero ? TLanes.Zero : TLanes.Load(ref dec, w);
        var d2 = fromZero ? TLanes.Zero : TLanes.Load(ref dec, 2 * w);
        var d3 = fromZero ? TLanes.Zero : TLanes.Load(ref dec, 3 * w);
        var e0 = fromZero ? TLanes.Zero : TLanes.Load(ref enc, 0);
        var e1 = fromZero ? TLanes.Zero : TLanes.Load(ref enc, w);
        var e2 = fromZero ? TLanes.Zero : TLanes.Load(ref enc, 2 * w);
        var e3 = fromZero ? TLanes.Zero : TLanes.Load(ref enc, 3 * w);
        for (var e = 0; e < rows.Length; e++)
        {
            var offset = (nuint)((rows[e] * d) + c);
            ref var x = ref Unsafe.Add(ref outOrigin, offset);
            ref var y = ref Unsafe.Add(ref inOrigin, offset);
            var a = TLanes.Broadcast(values[e]);
            var p = TLanes.Broadcast(preGradients[e]);
            d0 = TLanes.MultiplyAdd<TMultiplyAdd>(a, TLanes.Load(ref x, 0), d0);
            d1 = TLanes.MultiplyAdd<TMultiplyAdd>(a, TLanes.Load(ref x, w), d1);
            d2 = TLanes.MultiplyAdd<TMultiplyAdd>(a, TLanes.Load(ref x, 2 * w), d2);
            d3 = TLanes.MultiplyAdd<TMultiplyAdd>(a, TLanes.Load(ref x, 3 * w), d3);
            e0 = TLanes.MultiplyAdd<TMultiplyAdd>(p, TLanes.Load(ref y, 0), e0);
            e1 = TLanes.MultiplyAdd<TMultiplyAdd>(p, TLanes.Load(ref y, w), e1);
            e2 = TLanes.MultiplyAdd<TMultiplyAdd>(p, TLanes.Load(ref y, 2 * w), e2);
            e3 = TLanes.MultiplyAdd<TMultiplyAdd>(p, TLanes.Load(ref y, 3 * w), e3);
        }

        TLanes.Store(d0, ref dec, 0);
        TLanes.Store(d1, ref dec, w);
        TLanes.Store(d2, ref dec, 2 * w);
        TLanes.Store(d3, ref dec, 3 * w);
        TLanes.Store(e0, ref enc, 0);
        TLanes.Store(e1, ref enc, w);
        TLanes.Store(e2, ref enc, 2 * w);
        TLanes.Store(e3, ref enc, 3 * w);
    }

    /// <summary>Columns c .. c + 7 of <see cref="Accumulate"/>.</summary>
    private static void AccumulateColumns1<TMultiplyAdd>(
        ReadOnlySpan<int> rows, ReadOnlySpan<float> values, ReadOnlySpan<float> preGradients, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input,
        int d, int c, Span<float> decoderRow, Span<float> encoderRow, bool fromZero)
        where TMultiplyAdd : struct, IMultiplyAdd
    {
        ref var dec = ref Unsafe.Add(ref MemoryMarshal.GetReference(decoderRow), c);
        ref var enc = ref Unsafe.Add(ref MemoryMarshal.GetReference(encoderRow), c);
        ref var outOrigin = ref MemoryMarshal.GetReference(outputGradient);
        ref var inOrigin = ref MemoryMarshal.GetReference(input);
        var d0 = fromZero ? Vector256<float>.Zero : Vector256.LoadUnsafe(ref dec);
        var e0 = fromZero ? Vector256<float>.Zero : Vector256.LoadUnsafe(ref enc);
        for (var e = 0; e < rows.Length; e++)
        {
            var offset = (nuint)((rows[e] * d) + c);
            var a = Vector256.Create(values[e]);
            var p = Vector256.Create(preGradients[e]);
            var x = Vector256.LoadUnsafe(ref outOrigin, offset);
            var y = Vector256.LoadUnsafe(ref inOrigin, offset);
            d0 = TMultiplyAdd.MultiplyAdd(a, x, d0);
            e0 = TMultiplyAdd.MultiplyAdd(p, y, e0);
        }

        d0.StoreUnsafe(ref dec);
        e0.StoreUnsafe(ref enc);
    }
}
