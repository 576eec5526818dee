using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseDictionary.Kernels;

/// <summary>
/// Selection of the k largest entries of a row.
/// </summary>
/// <remarks>
/// <para><see cref="Select"/> is exact whatever the data and returns the selection in increasing index order. It works
/// on counts: c(t) = the number of entries v &gt;= t, which a vector pass computes with 8 compares per instruction (16 on
/// <see cref="KernelPath.Avx512Fma"/>) and no branch per entry.</para>
/// <list type="number">
/// <item>Candidates: a floor F with k &lt;= c(F) &lt;= 4 k2 (k2 = 1.5 k). The first guess is a hint carried from the
/// previous row selected on the same thread (consecutive rows of a batch have similar pre-activation distributions);
/// when it yields too few or too many entries, F is searched on the row's counts between its minimum and maximum
/// (interpolation steps alternating with halving steps). The entries &gt;= F are copied out, in index order.</item>
/// <item>Threshold: the same search on the candidates finds a t with c(t) = k exactly (then the selection is the
/// candidates &gt;= t), or, when ties make that impossible, the k-th largest value T: every entry above T is selected
/// and, among those equal to T, the lowest indices.</item>
/// </list>
/// <para>The hint changes speed only, never the result; every path (scalar or vector) selects the same entries.</para>
/// <para>Paths: the counting and copying passes (<see cref="SelectionPasses{TLanes, TValues, TIndices, TCounts}"/>) are
/// written once, over the lanes of one register width, and the path picks the width once per call.
/// <see cref="KernelPath.Scalar"/> runs them 1 entry at a time (<see cref="SelectionLanesScalar"/>);
/// <see cref="KernelPath.Vector256"/> counts and filters 8 entries per compare (<see cref="Vector256{T}"/>), copying the
/// kept entries one by one and reading a row's last 1 to 7 entries as its last 8, with the lanes already seen masked off
/// (<see cref="Vector256BlockMemory"/>); <see cref="KernelPath.Avx2Fma"/> counts the same way, copies the kept entries of
/// a block of 8 with one lane permutation from a table and reads a row's last partial block with a masked load
/// (<see cref="Avx2BlockMemory"/>). <see cref="KernelPath.Avx512Fma"/> compares 16 entries into a mask register, counts
/// with a population count of the mask, copies the kept entries of a block of 16 with two compress instructions (values,
/// indices) and reads a row's last partial block with a masked load (<see cref="SelectionLanes512"/>). All paths select
/// the same entries.</para>
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
        return path switch
        {
            KernelPath.Avx512Fma when Avx512F.IsSupported =>
                Select<SelectionLanes512, Vector512<float>, Vector512<int>, int>(values, count, indices, selected, candidateValues, candidateIndices),
            KernelPath.Avx2Fma when Avx2.IsSupported =>
                Select<SelectionLanes256<Avx2BlockMemory>, Vector256<float>, Vector256<int>, Vector256<int>>(values, count, indices, selected, candidateValues, candidateIndices),
            not KernelPath.Scalar when Vector256.IsHardwareAccelerated =>
                Select<SelectionLanes256<Vector256BlockMemory>, Vector256<float>, Vector256<int>, Vector256<int>>(values, count, indices, selected, candidateValues, candidateIndices),
            _ => Select<SelectionLanesScalar, float, int, int>(values, count, indices, selected, candidateValues, candidateIndices),
        };
    }

    /// <summary>
    /// The candidate pass alone (<see cref="SelectionPasses{TLanes, TValues, TIndices, TCounts}.Filter"/>) on the lanes
    /// <paramref name="path"/> selects with: the entries v &gt;= <paramref name="floor"/> (never NaN) in index order, their
    /// number, or -1 past <paramref name="capacity"/>.
    /// </summary>
    internal static int Filter(ReadOnlySpan<float> values, float floor, Span<float> candidateValues, Span<int> candidateIndices, int capacity, KernelPath path) => path switch
    {
        KernelPath.Avx512Fma when Avx512F.IsSupported =>
            SelectionPasses<SelectionLanes512, Vector512<float>, Vector512<int>, int>.Filter(values, floor, candidateValues, candidateIndices, capacity),
        KernelPath.Avx2Fma when Avx2.IsSupported =>
            SelectionPasses<SelectionLanes256<Avx2BlockMemory>, Vector256<float>, Vector256<int>, Vector256<int>>.Filter(values, floor, candidateValues, candidateIndices, capacity),
        not KernelPath.Scalar when Vector256.IsHardwareAccelerated =>
            SelectionPasses<SelectionLanes256<Vector256BlockMemory>, Vector256<float>, Vector256<int>, Vector256<int>>.Filter(values, floor, candidateValues, candidateIndices, capacity),
        _ => SelectionPasses<SelectionLanesScalar, float, int, int>.Filter(values, floor, candidateValues, candidateIndices, capacity),
    };

    /// <summary>
    /// <see cref="Select(ReadOnlySpan{float}, int, Span{int}, Span{float}, KernelPath)"/> on the lanes of one width:
    /// selects <paramref name="count"/> (1 to the row's length) entries, with candidate buffers of the row's length.
    /// </summary>
    private static int Select<TLanes, TValues, TIndices, TCounts>(ReadOnlySpan<float> values, int count, Span<int> indices, Span<float> selected, Span<float> candidateValues, Span<int> candidateIndices)
        where TLanes : struct, ISelectionLanes<TValues, TIndices, TCounts>
        where TValues : struct
        where TIndices : struct
        where TCounts : struct
    {
        var n = values.Length;
        var target = Math.Min(n, count + Math.Max(1, count / 2));
        var capacity = Math.Min(n, 4 * target);

        // 1. Candidates: every entry >= floor, where count <= c(floor) <= capacity when such a floor exists.
        var floor = float.NegativeInfinity;
        var m = -1;
        if (count < n && t_hasHint)
        {
            floor = t_hint;
            m = SelectionPasses<TLanes, TValues, TIndices, TCounts>.Filter(values, floor, candidateValues, candidateIndices, capacity);
        }

        if (m < count)
        {
            floor = count < n ? FindFloor<TLanes, TValues, TIndices, TCounts>(values, count, capacity, target, m, floor) : float.NegativeInfinity;
            m = SelectionPasses<TLanes, TValues, TIndices, TCounts>.Filter(values, floor, candidateValues, candidateIndices, n);
        }

        if (m <= count)
        {
            // Every number at or above the floor is selected (the row is short, or holds NaN).
            candidateIndices[..m].CopyTo(indices);
            candidateValues[..m].CopyTo(selected);
            t_hasHint = false;
            return m;
        }

        candidateValues = candidateValues[..m];
        candidateIndices = candidateIndices[..m];

        // 2. The threshold among the candidates: a t with c(t) = count exactly, else (ties) the count-th largest value.
        var low = floor;
        var lowCount = m;
        var high = SelectionPasses<TLanes, TValues, TIndices, TCounts>.Max(candidateValues);
        var highCount = SelectionPasses<TLanes, TValues, TIndices, TCounts>.CountAtLeast(candidateValues, high);
        var exact = false;
        var threshold = high;
        if (highCount == count)
        {
            exact = true;
        }
        else if (highCount < count)
        {
            for (var iteration = 0; ; iteration++)
            {
                var t = Probe(low, high, lowCount, highCount, count + 0.5, interpolate: (iteration & 1) == 0);
                if (t == low)
                {
                    // No float lies between low and high: low is the count-th largest value, held by several entries.
                    threshold = low;
                    break;
                }

                var c = SelectionPasses<TLanes, TValues, TIndices, TCounts>.CountAtLeast(candidateValues, t);
                if (c == count)
                {
                    threshold = t;
                    exact = true;
                    break;
                }

                if (c > count)
                {
                    (low, lowCount) = (t, c);
                }
                else
                {
                    (high, highCount) = (t, c);
                }
            }
        }

        UpdateHint<TLanes, TValues, TIndices, TCounts>(candidateValues, floor, m, threshold, count, target);

        if (exact)
        {
            // Exactly count candidates reach the threshold: the outputs past them are not the kernel's to write.
            return SelectionPasses<TLanes, TValues, TIndices, TCounts>.Compact(candidateValues, candidateIndices, threshold, indices[..count], selected[..count]);
        }

        // Ties at the threshold: every entry above it, then the lowest-indexed entries equal to it.
        var ties = count - CountAbove(candidateValues, threshold);
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

    /// <summary>
    /// A floor t with count &lt;= c(t) &lt;= capacity on <paramref name="values"/>, or, when none exists (ties), the
    /// largest t with c(t) &gt;= count; negative infinity when the row holds at most count numbers.
    /// </summary>
    /// <param name="values">The row.</param>
    /// <param name="count">Entries to select (fewer than the row's length).</param>
    /// <param name="capacity">The most candidates wanted.</param>
    /// <param name="target">The number of candidates aimed at.</param>
    /// <param name="hintCount">What the hint yielded: -1 for more than capacity (or no hint), else fewer than count.</param>
    /// <param name="hint">The hint (ignored without one).</param>
    private static float FindFloor<TLanes, TValues, TIndices, TCounts>(ReadOnlySpan<float> values, int count, int capacity, int target, int hintCount, float hint)
        where TLanes : struct, ISelectionLanes<TValues, TIndices, TCounts>
        where TValues : struct
        where TIndices : struct
        where TCounts : struct
    {
        var (min, max, numbers) = SelectionPasses<TLanes, TValues, TIndices, TCounts>.MinMaxOfNumbers(values);
        if (numbers <= capacity)
        {
            return float.NegativeInfinity;
        }

        var low = min;
        var lowCount = numbers;
        var high = max;
        var highCount = SelectionPasses<TLanes, TValues, TIndices, TCounts>.CountAtLeast(values, max);
        if (highCount >= count)
        {
            return max;
        }

        if (hintCount >= 0 && hint < high && hint > low)
        {
            (high, highCount) = (hint, hintCount);
        }
        else if (hintCount < 0 && t_hasHint && hint > low && hint < high)
        {
            // The hint yielded more than capacity entries: c(hint) > capacity, counted as capacity + 1 for interpolation.
            (low, lowCount) = (hint, capacity + 1);
        }

        for (var iteration = 0; ; iteration++)
        {
            var t = Probe(low, high, lowCount, highCount, target, interpolate: (iteration & 1) == 0);
            if (t == low)
            {
                return low;
            }

            var c = SelectionPasses<TLanes, TValues, TIndices, TCounts>.CountAtLeast(values, t);
            if (c >= count && c <= capacity)
            {
                return t;
            }

            if (c > capacity)
            {
                (low, lowCount) = (t, c);
            }
            else
            {
                (high, highCount) = (t, c);
            }
        }
    }

    /// <summary>
    /// The next value to count, strictly between <paramref name="low"/> and <paramref name="high"/> (low &lt; high):
    /// where a straight line through (low, lowCount) and (high, highCount) reaches <paramref name="want"/> (kept away from
    /// the ends) when <paramref name="interpolate"/>, else the midpoint; the midpoint of the two floats' orderings when
    /// the arithmetic gives no float strictly between; <paramref name="low"/> when no float lies between them.
    /// </summary>
    private static float Probe(float low, float high, int lowCount, int highCount, double want, bool interpolate)
    {
        double fraction = 0.5;
        if (interpolate && lowCount > highCount)
        {
            fraction = Math.Clamp((lowCount - want) / (lowCount - highCount), 1.0 / 16, 15.0 / 16);
        }

        var t = (float)(low + ((high - (double)low) * fraction));
        if (t > low && t < high)
        {
            return t;
        }

        // Infinite ends, or floats too close for arithmetic: halve in the order of the floats' bit patterns.
        var lowKey = OrderKey(low);
        var middle = (int)(((long)lowKey + OrderKey(high)) >> 1);
        return middle == lowKey ? low : FromOrderKey(middle);
    }

    /// <summary>Sets the next row's hint near the target-th largest value of this row, as far as the candidates tell.</summary>
    private static void UpdateHint<TLanes, TValues, TIndices, TCounts>(ReadOnlySpan<float> candidateValues, float floor, int m, float threshold, int count, int target)
        where TLanes : struct, ISelectionLanes<TValues, TIndices, TCounts>
        where TValues : struct
        where TIndices : struct
        where TCounts : struct
    {
        if (m >= target && m <= 2 * target)
        {
            t_hint = floor;
        }
        else if (m > 2 * target)
        {
            // A few counting steps on the candidates for a value with target to 2 target entries above it.
            var low = floor;
            var lowCount = m;
            var high = threshold;
            var highCount = count;
            var hint = floor;
            for (var iteration = 0; iteration < 8; iteration++)
            {
                var t = Probe(low, high, lowCount, highCount, 1.5 * target, interpolate: (iteration & 1) == 0);
                if (t == low)
                {
                    break;
                }

                var c = SelectionPasses<TLanes, TValues, TIndices, TCounts>.CountAtLeast(candidateValues, t);
                if (c >= target && c <= 2 * target)
                {
                    hint = t;
                    break;
                }

                if (c > 2 * target)
                {
                    (low, lowCount, hint) = (t, c, t);
                }
                else
                {
                    (high, highCount) = (t, c);
                }
            }

            t_hint = hint;
        }
        else
        {
            // Too few spare candidates: lower the floor by its distance to the threshold.
            var lowered = floor - (threshold - floor);
            t_hint = float.IsFinite(lowered) ? lowered : floor;
        }

        t_hasHint = float.IsFinite(t_hint);
    }

    /// <summary>A signed integer that orders floats (not NaN) like their values, with -0 just below +0.</summary>
    private static int OrderKey(float value)
    {
        var bits = BitConverter.SingleToInt32Bits(value);
        return bits >= 0 ? bits : bits ^ int.MaxValue;
    }

    /// <summary>The inverse of <see cref="OrderKey"/>.</summary>
    private static float FromOrderKey(int key) => BitConverter.Int32BitsToSingle(key >= 0 ? key : key ^ int.MaxValue);

    /// <summary>The number of entries v &gt; <paramref name="threshold"/>.</summary>
    private static int CountAbove(ReadOnlySpan<float> values, float threshold)
    {
        var total = 0;
        foreach (var v in values)
        {
            if (v > threshold)
            {
                total++;
            }
        }

        return total;
    }
}
