using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SparseDictionary.Kernels;

/// <summary>
/// Selection of the k largest entries of a row.
/// </summary>
/// <remarks>
/// <para><see cref="Select"/> is exact whatever the data and returns the selection in increasing index order.
/// It filters the row against a threshold hint (8 entries per compare on the vector paths), keeps the candidates at or
/// above it, finds the k-th largest value T among them with a small min-heap, and emits every entry above T plus, on
/// ties at T, the lowest indices. The hint is the k2-th largest value (k2 = 1.5 k) of the previous row selected on the
/// same thread: consecutive rows of a batch have similar pre-activation distributions, so a row usually yields
/// between k and a few k candidates. When the hint yields fewer than k candidates, or too many, the row is filtered
/// again against minus infinity; the hint changes speed only, never the result.</para>
/// <para>Ordering is total and deterministic: a larger value wins; among equal values the lower index wins. NaN never
/// wins (a row with fewer than k numbers yields fewer than k entries).</para>
/// </remarks>
internal static class TopKSelection
{
    [ThreadStatic]
    private static float t_hint;

    [ThreadStatic]
    private static bool t_hasHint;

    [ThreadStatic]
    private static float[]? t_candidateValues;

    [ThreadStatic]
    private static int[]? t_candidateIndices;

    /// <summary>Selects the <paramref name="k"/> largest entries of <paramref name="values"/>, in increasing index order.</summary>
    /// <returns>The number selected: min(k, values.Length) unless the row holds NaN; written to the first entries of <paramref name="indices"/> and <paramref name="selected"/>.</returns>
    public static int Select(ReadOnlySpan<float> values, int k, Span<int> indices, Span<float> selected, KernelPath path)
    {
        var n = values.Length;
        var count = Math.Min(k, n);
        if (count <= 0)
        {
            return 0;
        }

        if (indices.Length < count || selected.Length < count)
        {
            throw new ArgumentException($"The output spans hold {Math.Min(indices.Length, selected.Length)} entries but {count} are selected.", nameof(indices));
        }

        if (t_candidateValues is null || t_candidateValues.Length < n)
        {
            t_candidateValues = new float[n];
            t_candidateIndices = new int[n];
        }

        var candidateValues = t_candidateValues.AsSpan(0, n);
        var candidateIndices = t_candidateIndices.AsSpan(0, n);
        var vector = path != KernelPath.Scalar && Vector256.IsHardwareAccelerated;
        var target = Math.Min(n, count + Math.Max(1, count / 2));
        var m = -1;
        if (t_hasHint && count < n)
        {
            m = Filter(values, t_hint, candidateValues, candidateIndices, Math.Min(n, 4 * target), vector);
        }

        if (m < count)
        {
            m = Filter(values, float.NegativeInfinity, candidateValues, candidateIndices, n, vector);
        }

        if (m <= count)
        {
            // Every number is selected (the row is short, or holds NaN).
            candidateIndices[..m].CopyTo(indices);
            candidateValues[..m].CopyTo(selected);
            t_hasHint = false;
            return m;
        }

        // Min-heap of the `size` largest candidate values; its root is then the size-th largest.
        var size = Math.Min(target, m);
        Span<float> heap = size <= 512 ? stackalloc float[size] : new float[size];
        candidateValues[..size].CopyTo(heap);
        for (var i = (size / 2) - 1; i >= 0; i--)
        {
            SiftDownValues(heap, i);
        }

        for (var i = size; i < m; i++)
        {
            if (candidateValues[i] > heap[0])
            {
                heap[0] = candidateValues[i];
                SiftDownValues(heap, 0);
            }
        }

        t_hint = heap[0];
        t_hasHint = true;

        // Pop the (size - count) smallest: the root becomes the count-th largest value T.
        for (var live = size; live > count; live--)
        {
            heap[0] = heap[live - 1];
            SiftDownValues(heap[..(live - 1)], 0);
        }

        var threshold = heap[0];
        var above = 0;
        for (var i = 0; i < m; i++)
        {
            if (candidateValues[i] > threshold)
            {
                above++;
            }
        }

        var ties = count - above;
        var written = 0;
        for (var i = 0; i < m && written < count; i++)
        {
            var v = candidateValues[i];
            if (v > threshold || (v == threshold && ties-- > 0))
            {
                indices[written] = candidateIndices[i];
                selected[written++] = v;
            }
        }

        return written;
    }

    /// <summary>Writes the entries v &gt;= <paramref name="floor"/> (never NaN) in index order; returns their number, or -1 past <paramref name="capacity"/>.</summary>
    private static int Filter(ReadOnlySpan<float> values, float floor, Span<float> candidateValues, Span<int> candidateIndices, int capacity, bool vector)
    {
        var m = 0;
        var i = 0;
        if (vector)
        {
            ref var origin = ref MemoryMarshal.GetReference(values);
            var floorVector = Vector256.Create(floor);
            for (; i <= values.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var mask = Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref origin, (nuint)i), floorVector).ExtractMostSignificantBits();
                if (mask == 0)
                {
                    continue;
                }

                if (m + BitOperations.PopCount(mask) > capacity)
                {
                    return -1;
                }

                while (mask != 0)
                {
                    var index = i + BitOperations.TrailingZeroCount(mask);
                    candidateIndices[m] = index;
                    candidateValues[m++] = Unsafe.Add(ref origin, index);
                    mask &= mask - 1;
                }
            }
        }

        for (; i < values.Length; i++)
        {
            if (values[i] >= floor)
            {
                if (m == capacity)
                {
                    return -1;
                }

                candidateIndices[m] = i;
                candidateValues[m++] = values[i];
            }
        }

        return m;
    }

    private static void SiftDownValues(Span<float> heap, int node)
    {
        var n = heap.Length;
        var v = heap[node];
        while (true)
        {
            var child = (2 * node) + 1;
            if (child >= n)
            {
                break;
            }

            if (child + 1 < n && heap[child + 1] < heap[child])
            {
                child++;
            }

            if (!(heap[child] < v))
            {
                break;
            }

            heap[node] = heap[child];
            node = child;
        }

        heap[node] = v;
    }

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
