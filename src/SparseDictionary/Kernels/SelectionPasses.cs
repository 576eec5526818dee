using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace SparseDictionary.Kernels;

/// <summary>
/// The passes over a row that <see cref="TopKSelection"/> is made of (counting, maxima, filtering, compaction), written
/// once for every register width: <typeparamref name="TLanes"/> supplies what differs (the compare's mask bits, the read
/// of a row's last partial block, the writing of kept entries, the form of a running count), and each width gets its own
/// compiled copy with every lane call inlined.
/// </summary>
/// <remarks>
/// Every pass reads a row in full blocks, then its last 1 to <c>Count</c> - 1 entries as one more block
/// (<see cref="ISelectionLanes{TValues, TIndices, TCounts}.LoadLast"/>) filled with a value that leaves the result alone:
/// NaN for compares (never true), negative infinity for a maximum. All widths give the same results.
/// </remarks>
/// <typeparam name="TLanes">The register width.</typeparam>
/// <typeparam name="TValues">Its block of floats.</typeparam>
/// <typeparam name="TIndices">Its block of ints.</typeparam>
/// <typeparam name="TCounts">Its running count.</typeparam>
internal static unsafe class SelectionPasses<TLanes, TValues, TIndices, TCounts>
    where TLanes : struct, ISelectionLanes<TValues, TIndices, TCounts>
    where TValues : struct
    where TIndices : struct
    where TCounts : struct
{
    /// <summary>The number of entries v &gt;= <paramref name="threshold"/> (NaN never counts).</summary>
    /// <remarks>Two running counts, each fed every other block, so that the two blocks of a step add up independently.</remarks>
    public static int CountAtLeast(ReadOnlySpan<float> values, float threshold)
    {
        var n = values.Length;
        var lanes = TLanes.Count;
        fixed (float* row = values)
        {
            var t = TLanes.Broadcast(threshold);
            var counts0 = TLanes.NoCounts;
            var counts1 = TLanes.NoCounts;
            var i = 0;
            for (; i <= n - (2 * lanes); i += 2 * lanes)
            {
                counts0 = TLanes.CountAtLeast(counts0, TLanes.Load(row + i), t);
                counts1 = TLanes.CountAtLeast(counts1, TLanes.Load(row + i + lanes), t);
            }

            if (i <= n - lanes)
            {
                counts0 = TLanes.CountAtLeast(counts0, TLanes.Load(row + i), t);
                i += lanes;
            }

            if (i < n)
            {
                counts1 = TLanes.CountAtLeast(counts1, TLanes.LoadLast(row, i, n, float.NaN, out _), t);
            }

            return TLanes.Total(counts0, counts1);
        }
    }

    /// <summary>The largest entry of a non-empty span without NaN (of -0 and +0, either).</summary>
    public static float Max(ReadOnlySpan<float> values)
    {
        var n = values.Length;
        var lanes = TLanes.Count;
        fixed (float* row = values)
        {
            var max = TLanes.Broadcast(float.NegativeInfinity);
            var i = 0;
            for (; i <= n - lanes; i += lanes)
            {
                max = TLanes.Max(max, TLanes.Load(row + i));
            }

            if (i < n)
            {
                max = TLanes.Max(max, TLanes.LoadLast(row, i, n, float.NegativeInfinity, out _));
            }

            return TLanes.MaxAcross(max);
        }
    }

    /// <summary>The smallest and largest numbers of a row and how many entries are numbers (not NaN).</summary>
    /// <remarks>
    /// An entry is a number exactly when it is &gt;= negative infinity: one compare serves the count and both selects
    /// (NaN read as positive infinity for the minimum, as negative infinity for the maximum).
    /// </remarks>
    public static (float Min, float Max, int Numbers) MinMaxOfNumbers(ReadOnlySpan<float> values)
    {
        var n = values.Length;
        var lanes = TLanes.Count;
        fixed (float* row = values)
        {
            var positiveInfinity = TLanes.Broadcast(float.PositiveInfinity);
            var negativeInfinity = TLanes.Broadcast(float.NegativeInfinity);
            var min = positiveInfinity;
            var max = negativeInfinity;
            var numbers = TLanes.NoCounts;
            var i = 0;
            for (; i <= n - lanes; i += lanes)
            {
                var v = TLanes.Load(row + i);
                min = TLanes.Min(min, TLanes.KeepAtLeast(v, negativeInfinity, positiveInfinity));
                max = TLanes.Max(max, TLanes.KeepAtLeast(v, negativeInfinity, negativeInfinity));
                numbers = TLanes.CountAtLeast(numbers, v, negativeInfinity);
            }

            if (i < n)
            {
                // The lanes past the end read as NaN, which is not a number and leaves every accumulator alone.
                var v = TLanes.LoadLast(row, i, n, float.NaN, out _);
                min = TLanes.Min(min, TLanes.KeepAtLeast(v, negativeInfinity, positiveInfinity));
                max = TLanes.Max(max, TLanes.KeepAtLeast(v, negativeInfinity, negativeInfinity));
                numbers = TLanes.CountAtLeast(numbers, v, negativeInfinity);
            }

            return (TLanes.MinAcross(min), TLanes.MaxAcross(max), TLanes.Total(numbers, TLanes.NoCounts));
        }
    }

    /// <summary>
    /// Copies the candidates v &gt;= <paramref name="threshold"/> and their indices, in order; returns their number.
    /// The kept entries of a block are written by <see cref="ISelectionLanes{TValues, TIndices, TCounts}.WriteKept"/>,
    /// which may also overwrite output entries past the number returned (never past the outputs' ends):
    /// <see cref="TopKSelection.Select"/> passes outputs of exactly that number.
    /// </summary>
    /// <exception cref="ArgumentException">More candidates reach the threshold than the outputs hold (a broken invariant: the caller counted them).</exception>
    public static int Compact(ReadOnlySpan<float> candidateValues, ReadOnlySpan<int> candidateIndices, float threshold, Span<int> indices, Span<float> selected)
    {
        var n = candidateValues.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(candidateIndices.Length, n, nameof(candidateIndices));
        var room = Math.Min(indices.Length, selected.Length);
        var lanes = TLanes.Count;
        var written = 0;
        fixed (float* row = candidateValues)
        fixed (int* rowIndices = candidateIndices)
        fixed (float* outValues = selected)
        fixed (int* outIndices = indices)
        {
            var t = TLanes.Broadcast(threshold);
            var i = 0;
            for (; i <= n - lanes; i += lanes)
            {
                var v = TLanes.Load(row + i);
                var kept = TLanes.AtLeast(v, t);
                if (kept != 0)
                {
                    if (written + BitOperations.PopCount(kept) > room)
                    {
                        ThrowNoRoom(room);
                    }

                    written = TLanes.WriteKept(outValues, outIndices, written, room, v, t, TLanes.LoadIndices(rowIndices + i), kept, row, rowIndices, i);
                }
            }

            if (i < n)
            {
                var v = TLanes.LoadLast(row, i, n, float.NaN, out var first);
                var kept = TLanes.AtLeast(v, t);
                if (kept != 0)
                {
                    if (written + BitOperations.PopCount(kept) > room)
                    {
                        ThrowNoRoom(room);
                    }

                    written = TLanes.WriteKept(outValues, outIndices, written, room, v, t, TLanes.LoadLastIndices(rowIndices, first, n), kept, row, rowIndices, first);
                }
            }
        }

        return written;
    }

    /// <summary>
    /// Writes the entries v &gt;= <paramref name="floor"/> (never NaN) and their positions in index order; returns their
    /// number, or -1 when more than <paramref name="capacity"/> entries are &gt;= floor.
    /// </summary>
    /// <remarks>
    /// <para>In groups of 4 blocks: one branch skips a group without a kept entry, and a group with some writes its 4
    /// blocks by <see cref="ISelectionLanes{TValues, TIndices, TCounts}.WriteKept"/>, empty ones included, without a
    /// branch per block. The group's test ORs its four compare masks, and its count adds their four population counts,
    /// which then move m on block by block (rather than shifting the masks into one word and counting that: fewer
    /// instructions on the way past an empty group, the common case).</para>
    /// <para>On wide rows the candidates are few (from about 1 entry in 16 to 1 in 500) and scattered at random, so a
    /// branch per block on whether it keeps an entry goes either way unpredictably, and its mispredictions, not the
    /// compares, set the speed: on 3072-wide Gaussian rows keeping 54 to 108 entries, skipping empty blocks one by one
    /// took 4 to 6 times as long as counting the row, and skipping empty groups of 64 entries about 2.5 times (AVX-512).
    /// Writing an empty block (two register compresses and two stores) costs less than a misprediction.</para>
    /// <para>A group is written only once m plus the entries it keeps is known not to exceed
    /// <paramref name="capacity"/>, so the result is -1 exactly when more than capacity entries are &gt;= floor. Outputs
    /// past the number returned may be overwritten (never past the outputs' ends).</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> exceeds the room in the outputs.</exception>
    public static int Filter(ReadOnlySpan<float> values, float floor, Span<float> candidateValues, Span<int> candidateIndices, int capacity)
    {
        var room = Math.Min(candidateValues.Length, candidateIndices.Length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, room);
        var n = values.Length;
        var lanes = TLanes.Count;
        var m = 0;
        fixed (float* row = values)
        fixed (float* outValues = candidateValues)
        fixed (int* outIndices = candidateIndices)
        {
            // NaN (in the row, or in the lanes of the last block past its end) never compares true.
            var f = TLanes.Broadcast(floor);
            var positions = TLanes.Positions(0);
            var i = 0;
            for (; i <= n - (4 * lanes); i += 4 * lanes)
            {
                var v0 = TLanes.Load(row + i);
                var v1 = TLanes.Load(row + i + lanes);
                var v2 = TLanes.Load(row + i + (2 * lanes));
                var v3 = TLanes.Load(row + i + (3 * lanes));
                var bits0 = TLanes.AtLeast(v0, f);
                var bits1 = TLanes.AtLeast(v1, f);
                var bits2 = TLanes.AtLeast(v2, f);
                var bits3 = TLanes.AtLeast(v3, f);
                if ((bits0 | bits1 | bits2 | bits3) == 0)
                {
                    positions = TLanes.Advance(positions, 4 * lanes);
                    continue;
                }

                if (m + BitOperations.PopCount(bits0) + BitOperations.PopCount(bits1) + BitOperations.PopCount(bits2) + BitOperations.PopCount(bits3) > capacity)
                {
                    return -1;
                }

                m = TLanes.WriteKept(outValues, outIndices, m, room, v0, f, positions, bits0, row, null, i);
                positions = TLanes.Advance(positions, lanes);
                m = TLanes.WriteKept(outValues, outIndices, m, room, v1, f, positions, bits1, row, null, i + lanes);
                positions = TLanes.Advance(positions, lanes);
                m = TLanes.WriteKept(outValues, outIndices, m, room, v2, f, positions, bits2, row, null, i + (2 * lanes));
                positions = TLanes.Advance(positions, lanes);
                m = TLanes.WriteKept(outValues, outIndices, m, room, v3, f, positions, bits3, row, null, i + (3 * lanes));
                positions = TLanes.Advance(positions, lanes);
            }

            // The last 1 to 3 full blocks, then the partial one.
            for (; i <= n - lanes; i += lanes)
            {
                var v = TLanes.Load(row + i);
                var kept = TLanes.AtLeast(v, f);
                if (m + BitOperations.PopCount(kept) > capacity)
                {
                    return -1;
                }

                m = TLanes.WriteKept(outValues, outIndices, m, room, v, f, positions, kept, row, null, i);
                positions = TLanes.Advance(positions, lanes);
            }

            if (i < n)
            {
                var v = TLanes.LoadLast(row, i, n, float.NaN, out var first);
                var kept = TLanes.AtLeast(v, f);
                if (m + BitOperations.PopCount(kept) > capacity)
                {
                    return -1;
                }

                m = TLanes.WriteKept(outValues, outIndices, m, room, v, f, TLanes.Positions(first), kept, row, null, first);
            }
        }

        return m;
    }

    [DoesNotReturn]
    private static void ThrowNoRoom(int room) =>
        throw new ArgumentException($"More than {room} candidates reach the threshold.", "indices");
}
