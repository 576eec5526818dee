using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SparseDictionary.Kernels;

/// <summary>
/// Selection of the k largest entries of a row: a size-k min-heap scanned once over the row, O(n + k log k · hits).
/// The vector paths test 8 entries at a time against the heap's current minimum and only touch the heap for entries
/// above it, which after the first few hundred entries are rare.
/// </summary>
/// <remarks>
/// Ordering is total and deterministic: a larger value wins; among equal values the lower index wins. The output is
/// sorted by that order (decreasing value, then increasing index). NaN never wins against a number once the heap is full.
/// </remarks>
internal static class TopKSelection
{
    /// <summary>Selects the <paramref name="k"/> largest entries of <paramref name="values"/>.</summary>
    /// <returns>The number selected, min(k, values.Length); written to the first entries of <paramref name="indices"/> and <paramref name="selected"/>.</returns>
    public static int Select(ReadOnlySpan<float> values, int k, Span<int> indices, Span<float> selected, KernelPath path)
    {
        var count = Math.Min(k, values.Length);
        if (count <= 0)
        {
            return 0;
        }

        if (indices.Length < count || selected.Length < count)
        {
            throw new ArgumentException($"The output spans hold {Math.Min(indices.Length, selected.Length)} entries but {count} are selected.", nameof(indices));
        }

        var heapIdx = indices[..count];
        var heapVal = selected[..count];
        for (var i = 0; i < count; i++)
        {
            heapIdx[i] = i;
            heapVal[i] = values[i];
        }

        for (var i = (count / 2) - 1; i >= 0; i--)
        {
            SiftDown(heapVal, heapIdx, i);
        }

        var start = count;
        if (path != KernelPath.Scalar && Vector256.IsHardwareAccelerated)
        {
            start = ScanVector(values, start, heapVal, heapIdx);
        }

        for (var i = start; i < values.Length; i++)
        {
            if (Beats(values[i], heapVal[0]))
            {
                heapVal[0] = values[i];
                heapIdx[0] = i;
                SiftDown(heapVal, heapIdx, 0);
            }
        }

        SortDescending(heapVal, heapIdx);
        return count;
    }

    /// <summary>Selects the <paramref name="k"/> largest entries of <paramref name="values"/> among the positions listed in <paramref name="subset"/> (ascending).</summary>
    /// <returns>The number selected, min(k, subset.Length).</returns>
    public static int SelectFromSubset(ReadOnlySpan<float> values, ReadOnlySpan<int> subset, int k, Span<int> indices, Span<float> selected)
    {
        var count = Math.Min(k, subset.Length);
        if (count <= 0)
        {
            return 0;
        }

        var heapIdx = indices[..count];
        var heapVal = selected[..count];
        for (var i = 0; i < count; i++)
        {
            heapIdx[i] = subset[i];
            heapVal[i] = values[subset[i]];
        }

        for (var i = (count / 2) - 1; i >= 0; i--)
        {
            SiftDown(heapVal, heapIdx, i);
        }

        for (var s = count; s < subset.Length; s++)
        {
            var v = values[subset[s]];
            if (Beats(v, heapVal[0]) || (v == heapVal[0] && subset[s] < heapIdx[0]))
            {
                heapVal[0] = v;
                heapIdx[0] = subset[s];
                SiftDown(heapVal, heapIdx, 0);
            }
        }

        SortDescending(heapVal, heapIdx);
        return count;
    }

    private static int ScanVector(ReadOnlySpan<float> values, int start, Span<float> heapVal, Span<int> heapIdx)
    {
        ref var origin = ref MemoryMarshal.GetReference(values);
        var i = start;
        var last = values.Length - Vector256<float>.Count;
        while (i <= last)
        {
            var chunk = Vector256.LoadUnsafe(ref origin, (nuint)i);
            var threshold = float.IsNaN(heapVal[0]) ? float.NegativeInfinity : heapVal[0];
            var mask = Vector256.GreaterThanOrEqual(chunk, Vector256.Create(threshold)).ExtractMostSignificantBits();
            while (mask != 0)
            {
                var lane = BitOperations.TrailingZeroCount(mask);
                var v = Unsafe.Add(ref origin, i + lane);
                if (Beats(v, heapVal[0]))
                {
                    heapVal[0] = v;
                    heapIdx[0] = i + lane;
                    SiftDown(heapVal, heapIdx, 0);
                }

                mask &= mask - 1;
            }

            i += Vector256<float>.Count;
        }

        return i;
    }

    /// <summary>True when a later-index value <paramref name="v"/> outranks the heap root value <paramref name="root"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Beats(float v, float root) => v > root || (float.IsNaN(root) && !float.IsNaN(v));

    /// <summary>True when entry a ranks below entry b: smaller value, or equal value and larger index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Weaker(float va, int ia, float vb, int ib) => va < vb || (va == vb && ia > ib) || (float.IsNaN(va) && !float.IsNaN(vb));

    private static void SiftDown(Span<float> heapVal, Span<int> heapIdx, int node)
    {
        var n = heapVal.Length;
        var v = heapVal[node];
        var idx = heapIdx[node];
        while (true)
        {
            var child = (2 * node) + 1;
            if (child >= n)
            {
                break;
            }

            if (child + 1 < n && Weaker(heapVal[child + 1], heapIdx[child + 1], heapVal[child], heapIdx[child]))
            {
                child++;
            }

            if (!Weaker(heapVal[child], heapIdx[child], v, idx))
            {
                break;
            }

            heapVal[node] = heapVal[child];
            heapIdx[node] = heapIdx[child];
            node = child;
        }

        heapVal[node] = v;
        heapIdx[node] = idx;
    }

    private static void SortDescending(Span<float> heapVal, Span<int> heapIdx)
    {
        // Heap sort: repeatedly move the weakest (root) to the end, leaving strongest first.
        for (var end = heapVal.Length - 1; end > 0; end--)
        {
            (heapVal[0], heapVal[end]) = (heapVal[end], heapVal[0]);
            (heapIdx[0], heapIdx[end]) = (heapIdx[end], heapIdx[0]);
            SiftDown(heapVal[..end], heapIdx[..end], 0);
        }
    }
}
