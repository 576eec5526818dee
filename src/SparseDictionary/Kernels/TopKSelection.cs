using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
/// <para>Paths: <see cref="KernelPath.Scalar"/> runs plain loops; <see cref="KernelPath.Vector256"/> counts and
/// filters 8 entries per compare (<see cref="Vector256{T}"/>), copying the kept entries one by one;
/// <see cref="KernelPath.Avx2Fma"/> counts the same way and copies the kept entries of a block of 8 with one lane
/// permutation from a table (<see cref="Avx2CompressFilter"/>); their counts and maxima read a row's last 1 to 7
/// entries as its last 8, with the lanes already seen masked off. <see cref="KernelPath.Avx512Fma"/> compares 16
/// entries into a mask register, counts with a population count of the mask, copies the kept entries of a block of 16
/// with two compress instructions (values, indices) and reads a row's last partial block with a masked load. All paths
/// select the same entries.</para>
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

    /// <summary>The instructions the counting and copying passes run on.</summary>
    private enum Width
    {
        /// <summary>One entry at a time.</summary>
        Scalar,

        /// <summary>8 entries per compare (<see cref="Vector256{T}"/>), kept entries copied one by one.</summary>
        Vector256,

        /// <summary>8 entries per compare; kept entries copied by a lane permutation (<see cref="Avx2CompressFilter"/>).</summary>
        Avx2,

        /// <summary>16 entries per compare into a mask register; kept entries copied by compress instructions.</summary>
        Avx512,
    }

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
        var width = WidthOf(path);
        var target = Math.Min(n, count + Math.Max(1, count / 2));
        var capacity = Math.Min(n, 4 * target);

        // 1. Candidates: every entry >= floor, where count <= c(floor) <= capacity when such a floor exists.
        var floor = float.NegativeInfinity;
        var m = -1;
        if (count < n && t_hasHint)
        {
            floor = t_hint;
            m = Filter(values, floor, candidateValues, candidateIndices, capacity, width);
        }

        if (m < count)
        {
            floor = count < n ? FindFloor(values, count, capacity, target, m, floor, width) : float.NegativeInfinity;
            m = Filter(values, floor, candidateValues, candidateIndices, n, width);
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
        var high = Max(candidateValues, width);
        var highCount = CountAtLeast(candidateValues, high, width);
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

                var c = CountAtLeast(candidateValues, t, width);
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

        UpdateHint(candidateValues, floor, m, threshold, count, target, width);

        if (exact)
        {
            // Exactly count candidates reach the threshold: the outputs past them are not the kernel's to write.
            return Compact(candidateValues, candidateIndices, threshold, indices[..count], selected[..count], width);
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

    /// <summary>The instructions <paramref name="path"/> selects with on this CPU.</summary>
    private static Width WidthOf(KernelPath path) => path switch
    {
        KernelPath.Scalar => Width.Scalar,
        KernelPath.Avx512Fma when Avx512F.IsSupported => Width.Avx512,
        KernelPath.Avx2Fma when Avx2CompressFilter.IsSupported => Width.Avx2,
        _ => Vector256.IsHardwareAccelerated ? Width.Vector256 : Width.Scalar,
    };

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
    /// <param name="width">The instructions to count with.</param>
    private static float FindFloor(ReadOnlySpan<float> values, int count, int capacity, int target, int hintCount, float hint, Width width)
    {
        var (min, max, numbers) = MinMaxOfNumbers(values, width);
        if (numbers <= capacity)
        {
            return float.NegativeInfinity;
        }

        var low = min;
        var lowCount = numbers;
        var high = max;
        var highCount = CountAtLeast(values, max, width);
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

            var c = CountAtLeast(values, t, width);
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
    private static void UpdateHint(ReadOnlySpan<float> candidateValues, float floor, int m, float threshold, int count, int target, Width width)
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

                var c = CountAtLeast(candidateValues, t, width);
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

    /// <summary>The number of entries v &gt;= <paramref name="threshold"/> (NaN never counts).</summary>
    private static int CountAtLeast(ReadOnlySpan<float> values, float threshold, Width width)
    {
        if (width == Width.Avx512)
        {
            return CountAtLeast512(values, threshold);
        }

        var vector = width is Width.Vector256 or Width.Avx2;
        var i = 0;
        var total = 0;
        if (vector && values.Length >= Vector256<float>.Count)
        {
            ref var origin = ref MemoryMarshal.GetReference(values);
            var t = Vector256.Create(threshold);
            var acc0 = Vector256<int>.Zero;
            var acc1 = Vector256<int>.Zero;
            for (; i <= values.Length - (2 * Vector256<float>.Count); i += 2 * Vector256<float>.Count)
            {
                // A true compare is all ones (-1 as an integer): subtracting counts it.
                acc0 -= Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref origin, (nuint)i), t).AsInt32();
                acc1 -= Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref origin, (nuint)(i + Vector256<float>.Count)), t).AsInt32();
            }

            for (; i <= values.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                acc0 -= Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref origin, (nuint)i), t).AsInt32();
            }

            if (i < values.Length)
            {
                // The last 1 to 7 entries: the row's last 8, with the lanes already counted masked off (a scalar loop's
                // branch per entry goes either way at random on candidates near the threshold).
                var start = values.Length - Vector256<float>.Count;
                var fresh = Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(i - start));
                acc1 -= Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref origin, (nuint)start), t).AsInt32() & fresh;
                i = values.Length;
            }

            total = Vector256.Sum(acc0 + acc1);
        }

        for (; i < values.Length; i++)
        {
            if (values[i] >= threshold)
            {
                total++;
            }
        }

        return total;
    }

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

    /// <summary>The largest entry of a non-empty span without NaN.</summary>
    private static float Max(ReadOnlySpan<float> values, Width width)
    {
        if (width == Width.Avx512)
        {
            return Max512(values);
        }

        var vector = width is Width.Vector256 or Width.Avx2;
        var i = 0;
        var max = float.NegativeInfinity;
        if (vector && values.Length >= Vector256<float>.Count)
        {
            ref var origin = ref MemoryMarshal.GetReference(values);
            var acc = Vector256.LoadUnsafe(ref origin);
            for (i = Vector256<float>.Count; i <= values.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                acc = Vector256.MaxNative(acc, Vector256.LoadUnsafe(ref origin, (nuint)i));
            }

            // The last 1 to 7 entries: the row's last 8 again (the maximum does not mind entries seen twice).
            acc = Vector256.MaxNative(acc, Vector256.LoadUnsafe(ref origin, (nuint)(values.Length - Vector256<float>.Count)));
            i = values.Length;
            max = MaxAcross(acc);
        }

        for (; i < values.Length; i++)
        {
            if (values[i] > max)
            {
                max = values[i];
            }
        }

        return max;
    }

    /// <summary>The smallest and largest numbers of a row and how many entries are numbers (not NaN).</summary>
    private static (float Min, float Max, int Numbers) MinMaxOfNumbers(ReadOnlySpan<float> values, Width width)
    {
        if (width == Width.Avx512)
        {
            return MinMaxOfNumbers512(values);
        }

        var vector = width is Width.Vector256 or Width.Avx2;
        var i = 0;
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        var numbers = 0;
        if (vector && values.Length >= Vector256<float>.Count)
        {
            ref var origin = ref MemoryMarshal.GetReference(values);
            var minAcc = Vector256.Create(float.PositiveInfinity);
            var maxAcc = Vector256.Create(float.NegativeInfinity);
            var numberAcc = Vector256<int>.Zero;
            for (; i <= values.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref origin, (nuint)i);
                var isNumber = Vector256.Equals(v, v);
                minAcc = Vector256.MinNative(minAcc, Vector256.ConditionalSelect(isNumber, v, Vector256.Create(float.PositiveInfinity)));
                maxAcc = Vector256.MaxNative(maxAcc, Vector256.ConditionalSelect(isNumber, v, Vector256.Create(float.NegativeInfinity)));
                numberAcc -= isNumber.AsInt32();
            }

            for (var lane = 0; lane < Vector256<float>.Count; lane++)
            {
                min = Math.Min(min, minAcc.GetElement(lane));
                max = Math.Max(max, maxAcc.GetElement(lane));
            }

            numbers = Vector256.Sum(numberAcc);
        }

        for (; i < values.Length; i++)
        {
            var v = values[i];
            if (!float.IsNaN(v))
            {
                numbers++;
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }

        return (min, max, numbers);
    }

    /// <summary>Copies the candidates v &gt;= <paramref name="threshold"/>, in order; returns their number.</summary>
    private static int Compact(ReadOnlySpan<float> candidateValues, ReadOnlySpan<int> candidateIndices, float threshold, Span<int> indices, Span<float> selected, Width width)
    {
        if (width == Width.Avx512)
        {
            return Compact512(candidateValues, candidateIndices, threshold, indices, selected);
        }

        if (width == Width.Avx2)
        {
            return Avx2CompressFilter.Compact(candidateValues, candidateIndices, threshold, indices, selected);
        }

        var vector = width == Width.Vector256;
        var written = 0;
        var i = 0;
        if (vector)
        {
            ref var origin = ref MemoryMarshal.GetReference(candidateValues);
            var t = Vector256.Create(threshold);
            for (; i <= candidateValues.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var mask = Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref origin, (nuint)i), t).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    var at = i + BitOperations.TrailingZeroCount(mask);
                    indices[written] = candidateIndices[at];
                    selected[written++] = candidateValues[at];
                    mask &= mask - 1;
                }
            }
        }

        for (; i < candidateValues.Length; i++)
        {
            if (candidateValues[i] >= threshold)
            {
                indices[written] = candidateIndices[i];
                selected[written++] = candidateValues[i];
            }
        }

        return written;
    }

    /// <summary>
    /// <see cref="Filter(ReadOnlySpan{float}, float, Span{float}, Span{int}, int, Width)"/> on the instructions
    /// <paramref name="path"/> selects with: the candidate pass alone, for tests of its capacity abort.
    /// </summary>
    internal static int Filter(ReadOnlySpan<float> values, float floor, Span<float> candidateValues, Span<int> candidateIndices, int capacity, KernelPath path) =>
        Filter(values, floor, candidateValues, candidateIndices, capacity, WidthOf(path));

    /// <summary>Writes the entries v &gt;= <paramref name="floor"/> (never NaN) in index order; returns their number, or -1 past <paramref name="capacity"/>.</summary>
    private static int Filter(ReadOnlySpan<float> values, float floor, Span<float> candidateValues, Span<int> candidateIndices, int capacity, Width width)
    {
        if (width == Width.Avx512)
        {
            return Filter512(values, floor, candidateValues, candidateIndices, capacity);
        }

        if (width == Width.Avx2)
        {
            return Avx2CompressFilter.Filter(values, floor, candidateValues, candidateIndices, capacity);
        }

        var vector = width == Width.Vector256;
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

    /// <summary>
    /// Loads the 16 entries from <paramref name="address"/>, or, when only <paramref name="rest"/> &lt; 16 are left, those
    /// with <paramref name="fill"/> in the other lanes: a masked load, which reads (and faults on) the kept lanes only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Load16(float* address, int rest, Vector512<float> fill) =>
        rest >= Vector512<float>.Count ? Vector512.Load(address) : Avx512F.MaskLoad(address, FirstLanes(rest).AsSingle(), fill);

    /// <summary>The integer counterpart of <see cref="Load16(float*, int, Vector512{float})"/>, with zeros in the lanes past the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<int> Load16(int* address, int rest) =>
        rest >= Vector512<int>.Count ? Vector512.Load(address) : Avx512F.MaskLoad(address, FirstLanes(rest), Vector512<int>.Zero);

    /// <summary>A mask of the first <paramref name="lanes"/> lanes (0 to 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> FirstLanes(int lanes) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes));

    /// <summary><see cref="CountAtLeast"/> on 16 entries per compare: the population count of each compare's mask.</summary>
    private static unsafe int CountAtLeast512(ReadOnlySpan<float> values, float threshold)
    {
        var n = values.Length;
        var total = 0;
        fixed (float* origin = values)
        {
            var t = Vector512.Create(threshold);
            var i = 0;
            for (; i <= n - (2 * Vector512<float>.Count); i += 2 * Vector512<float>.Count)
            {
                // Two masks of 16 bits side by side in one 32-bit word: one population count for 32 entries.
                var low = Vector512.GreaterThanOrEqual(Vector512.Load(origin + i), t).ExtractMostSignificantBits();
                var high = Vector512.GreaterThanOrEqual(Vector512.Load(origin + i + Vector512<float>.Count), t).ExtractMostSignificantBits();
                total += BitOperations.PopCount(low | (high << Vector512<float>.Count));
            }

            // The last 1 to 31 entries; NaN in the lanes past the end never compares true.
            var nan = Vector512.Create(float.NaN);
            for (; i < n; i += Vector512<float>.Count)
            {
                total += BitOperations.PopCount(Vector512.GreaterThanOrEqual(Load16(origin + i, n - i, nan), t).ExtractMostSignificantBits());
            }
        }

        return total;
    }

    /// <summary><see cref="Max"/> on 16 entries per instruction.</summary>
    private static unsafe float Max512(ReadOnlySpan<float> values)
    {
        var n = values.Length;
        var negativeInfinity = Vector512.Create(float.NegativeInfinity);
        var acc = negativeInfinity;
        fixed (float* origin = values)
        {
            for (var i = 0; i < n; i += Vector512<float>.Count)
            {
                acc = Vector512.MaxNative(acc, Load16(origin + i, n - i, negativeInfinity));
            }
        }

        return MaxAcross(acc);
    }

    /// <summary><see cref="MinMaxOfNumbers"/> on 16 entries per instruction.</summary>
    private static unsafe (float Min, float Max, int Numbers) MinMaxOfNumbers512(ReadOnlySpan<float> values)
    {
        var n = values.Length;
        var positiveInfinity = Vector512.Create(float.PositiveInfinity);
        var negativeInfinity = Vector512.Create(float.NegativeInfinity);
        var minAcc = positiveInfinity;
        var maxAcc = negativeInfinity;
        var numbers = 0;
        fixed (float* origin = values)
        {
            // The lanes past the end read as NaN, which is not a number and leaves both accumulators alone.
            var nan = Vector512.Create(float.NaN);
            for (var i = 0; i < n; i += Vector512<float>.Count)
            {
                var v = Load16(origin + i, n - i, nan);
                var isNumber = Vector512.Equals(v, v);
                minAcc = Vector512.MinNative(minAcc, Vector512.ConditionalSelect(isNumber, v, positiveInfinity));
                maxAcc = Vector512.MaxNative(maxAcc, Vector512.ConditionalSelect(isNumber, v, negativeInfinity));
                numbers += BitOperations.PopCount(isNumber.ExtractMostSignificantBits());
            }
        }

        return (MinAcross(minAcc), MaxAcross(maxAcc), numbers);
    }

    /// <summary>
    /// The largest lane of a vector without NaN, by halving (native max: of -0 and +0, either may come out, which the
    /// counts that use it do not tell apart).
    /// </summary>
    private static float MaxAcross(Vector512<float> v) => MaxAcross(Vector256.MaxNative(v.GetLower(), v.GetUpper()));

    /// <summary>The largest lane of a vector without NaN, as <see cref="MaxAcross(Vector512{float})"/>.</summary>
    private static float MaxAcross(Vector256<float> half)
    {
        var quarter = Vector128.MaxNative(half.GetLower(), half.GetUpper());
        var pair = Vector128.MaxNative(quarter, Vector128.Shuffle(quarter, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MaxNative(pair, Vector128.Shuffle(pair, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    /// <summary>The smallest lane of a vector without NaN, as <see cref="MaxAcross(Vector512{float})"/>.</summary>
    private static float MinAcross(Vector512<float> v)
    {
        var half = Vector256.MinNative(v.GetLower(), v.GetUpper());
        var quarter = Vector128.MinNative(half.GetLower(), half.GetUpper());
        var pair = Vector128.MinNative(quarter, Vector128.Shuffle(quarter, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MinNative(pair, Vector128.Shuffle(pair, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    /// <summary>
    /// <see cref="Compact"/> on 16 entries per compare: the candidates kept in a block are written by
    /// <see cref="WriteKept"/>, which may also overwrite output entries past the number returned (never past the
    /// outputs' ends): <see cref="Select"/> passes outputs of exactly that number.
    /// </summary>
    /// <exception cref="ArgumentException">More candidates reach the threshold than the outputs hold (a broken invariant: the caller counted them).</exception>
    private static unsafe int Compact512(ReadOnlySpan<float> candidateValues, ReadOnlySpan<int> candidateIndices, float threshold, Span<int> indices, Span<float> selected)
    {
        var n = candidateValues.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(candidateIndices.Length, n, nameof(candidateIndices));
        var room = Math.Min(indices.Length, selected.Length);
        var written = 0;
        fixed (float* origin = candidateValues)
        fixed (int* originIndices = candidateIndices)
        fixed (float* outValues = selected)
        fixed (int* outIndices = indices)
        {
            var t = Vector512.Create(threshold);
            var nan = Vector512.Create(float.NaN);
            for (var i = 0; i < n; i += Vector512<float>.Count)
            {
                var v = Load16(origin + i, n - i, nan);
                var kept = BitOperations.PopCount(Vector512.GreaterThanOrEqual(v, t).ExtractMostSignificantBits());
                if (kept == 0)
                {
                    continue;
                }

                if (written + kept > room)
                {
                    throw new ArgumentException($"More than {room} candidates reach the threshold.", nameof(indices));
                }

                WriteKept(outValues, outIndices, written, room, v, t, Load16(originIndices + i, n - i));
                written += kept;
            }
        }

        return written;
    }

    /// <summary>
    /// <see cref="Filter(ReadOnlySpan{float}, float, Span{float}, Span{int}, int, Width)"/> on 16 entries per compare,
    /// in groups of 4 blocks of 16: one branch skips a group without a kept entry, and a group with some writes its 4
    /// blocks by <see cref="WriteKept"/>, empty ones included, without a branch per block.
    /// </summary>
    /// <remarks>
    /// <para>On wide rows the candidates are few (from about 1 entry in 16 to 1 in 500) and scattered at random, so a
    /// branch per block on whether it keeps an entry goes either way unpredictably, and its mispredictions, not the
    /// compares, set the speed: on 3072-wide Gaussian rows keeping 54 to 108 entries, skipping empty blocks one by one
    /// took 4 to 6 times as long as counting the row, and skipping empty groups of 64 entries about 2.5 times. Writing
    /// an empty block (two register compresses and two stores) costs less than a misprediction.</para>
    /// <para>A group is written only once m plus the entries it keeps is known not to exceed
    /// <paramref name="capacity"/>; as on the other paths, the result is -1 exactly when more than capacity entries are
    /// &gt;= floor.</para>
    /// </remarks>
    private static unsafe int Filter512(ReadOnlySpan<float> values, float floor, Span<float> candidateValues, Span<int> candidateIndices, int capacity)
    {
        var room = Math.Min(candidateValues.Length, candidateIndices.Length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, room);
        const int Lanes = 16;
        var n = values.Length;
        var m = 0;
        fixed (float* origin = values)
        fixed (float* outValues = candidateValues)
        fixed (int* outIndices = candidateIndices)
        {
            // NaN (in the row, or in the lanes read past its end) never compares true.
            var f = Vector512.Create(floor);
            var blockIndices = Vector512<int>.Indices;
            var step = Vector512.Create(Lanes);
            var i = 0;
            for (; i <= n - (4 * Lanes); i += 4 * Lanes)
            {
                var v0 = Vector512.Load(origin + i);
                var v1 = Vector512.Load(origin + i + Lanes);
                var v2 = Vector512.Load(origin + i + (2 * Lanes));
                var v3 = Vector512.Load(origin + i + (3 * Lanes));
                var bits0 = Vector512.GreaterThanOrEqual(v0, f).ExtractMostSignificantBits();
                var bits1 = Vector512.GreaterThanOrEqual(v1, f).ExtractMostSignificantBits();
                var bits2 = Vector512.GreaterThanOrEqual(v2, f).ExtractMostSignificantBits();
                var bits3 = Vector512.GreaterThanOrEqual(v3, f).ExtractMostSignificantBits();
                var bits = bits0 | (bits1 << Lanes) | (bits2 << (2 * Lanes)) | (bits3 << (3 * Lanes));
                if (bits == 0)
                {
                    blockIndices += Vector512.Create(4 * Lanes);
                    continue;
                }

                if (m + BitOperations.PopCount(bits) > capacity)
                {
                    return -1;
                }

                WriteKept(outValues, outIndices, m, room, v0, f, blockIndices);
                m += BitOperations.PopCount(bits0);
                blockIndices += step;
                WriteKept(outValues, outIndices, m, room, v1, f, blockIndices);
                m += BitOperations.PopCount(bits1);
                blockIndices += step;
                WriteKept(outValues, outIndices, m, room, v2, f, blockIndices);
                m += BitOperations.PopCount(bits2);
                blockIndices += step;
                WriteKept(outValues, outIndices, m, room, v3, f, blockIndices);
                m += BitOperations.PopCount(bits3);
                blockIndices += step;
            }

            // The last 1 to 63 entries, a block at a time (the last one partial, read by a masked load).
            var nan = Vector512.Create(float.NaN);
            for (; i < n; i += Lanes, blockIndices += step)
            {
                var v = Load16(origin + i, n - i, nan);
                var kept = BitOperations.PopCount(Vector512.GreaterThanOrEqual(v, f).ExtractMostSignificantBits());
                if (m + kept > capacity)
                {
                    return -1;
                }

                WriteKept(outValues, outIndices, m, room, v, f, blockIndices);
                m += kept;
            }
        }

        return m;
    }

    /// <summary>
    /// Writes the lanes of <paramref name="values"/> &gt;= <paramref name="minimum"/> and the same lanes of
    /// <paramref name="indices"/>, in lane order, from position <paramref name="at"/> of two outputs of
    /// <paramref name="room"/> entries each (the caller has counted the kept lanes and checked that they fit).
    /// </summary>
    /// <remarks>
    /// <para>Where 16 entries fit from <paramref name="at"/>, the kept lanes are packed to the front of a register (a
    /// register compress) and the whole register is stored: the lanes past the kept ones land on entries that a later
    /// block overwrites or that lie past the count returned, and never past <paramref name="room"/>. Compressing straight
    /// to memory writes the kept lanes only, but is microcoded: measured on an AVX-512 Xeon, the filter pass ran 1.3 to 1.8
    /// times slower with it, so it is kept for the last 15 entries of an output.</para>
    /// <para>The compare is made again here rather than passed in: a compare result kept across the caller's branches
    /// goes through a vector register on every block, written or not.</para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void WriteKept(float* outValues, int* outIndices, int at, int room, Vector512<float> values, Vector512<float> minimum, Vector512<int> indices)
    {
        var keep = Vector512.GreaterThanOrEqual(values, minimum);
        if (at <= room - Vector512<float>.Count)
        {
            Avx512F.Compress(Vector512<float>.Zero, keep, values).Store(outValues + at);
            Avx512F.Compress(Vector512<int>.Zero, keep.AsInt32(), indices).Store(outIndices + at);
        }
        else
        {
            Avx512F.CompressStore(outValues + at, keep, values);
            Avx512F.CompressStore(outIndices + at, keep.AsInt32(), indices);
        }
    }
}
