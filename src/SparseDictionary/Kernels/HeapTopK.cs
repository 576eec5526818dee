using System.Runtime.CompilerServices;

namespace SparseDictionary.Kernels;

/// <summary>
/// Selection of the k largest entries among a subset of a row's positions (the dead latents of AuxK), by a heap of k
/// entries, sorted by decreasing value.
/// </summary>
/// <remarks>
/// Ordering is total and deterministic, as in <see cref="TopKSelection"/>: a larger value wins; among equal values the
/// lower index wins; NaN never wins over a number.
/// </remarks>
internal static class HeapTopK
{
    /// <summary>Selects the <paramref name="k"/> largest entries of <paramref name="values"/> among the positions listed in <paramref name="subset"/> (ascending), sorted by decreasing value (ties: lower index first).</summary>
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
            if (Weaker(heapVal[0], heapIdx[0], v, subset[s]))
            {
                heapVal[0] = v;
                heapIdx[0] = subset[s];
                SiftDown(heapVal, heapIdx, 0);
            }
        }

        SortDescending(heapVal, heapIdx);
        return count;
    }

    /// <summary>True when entry a ranks below entry b: smaller value, or equal value and larger index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Weaker(float va, int ia, float vb, int ib) => va < vb || (va == vb && ia > ib) || (float.IsNaN(va) && !float.IsNaN(vb));

    /// <summary>Moves the entry at <paramref name="node"/> down the heap (weakest at the root) to its place.</summary>
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

    /// <summary>Sorts a heap (weakest at the root) strongest first.</summary>
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
