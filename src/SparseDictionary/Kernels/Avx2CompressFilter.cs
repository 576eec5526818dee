using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseDictionary.Kernels;

/// <summary>
/// The candidate passes of <see cref="TopKSelection"/> on AVX2 (<see cref="KernelPath.Avx2Fma"/>): 8 entries per
/// compare, and the kept entries of a block packed to the front of a register by one lane permutation
/// (<c>vpermps</c>/<c>vpermd</c>) looked up by the compare's 8-bit mask, then stored whole.
/// </summary>
/// <remarks>
/// <para>AVX2 has no compress instruction. Copying the kept entries one by one (a loop over the mask's set bits) costs
/// a branch per block whose outcome is random on wide rows, where 1 entry in 16 to 1 in 500 is kept; measured on an
/// Intel Xeon (Sapphire Rapids, AVX-512), those mispredictions made the 512-wide selection 4 to 5 times slower than on
/// the AVX-512 path. The table of
/// permutations (256 masks x 8 lanes, 8 KB) replaces the bit loop: a block costs a load, two permutes and two stores
/// whether it keeps entries or not, and, as on the AVX-512 path, one branch skips a group of 4 blocks that keeps
/// none.</para>
/// <para>The selection is the same as on every other path: the entries v &gt;= the floor, in index order.</para>
/// </remarks>
internal static class Avx2CompressFilter
{
    private const int Lanes = 8;

    /// <summary>
    /// Row <c>mask</c> (8 ints from <c>8 mask</c>) lists the lanes whose bit is set in <c>mask</c>, in increasing
    /// order, then zeros. Pinned, so that the kernels can read it through a pointer.
    /// </summary>
    private static readonly int[] s_permutations = BuildPermutations();

    /// <summary>Whether this CPU runs these passes.</summary>
    public static bool IsSupported => Avx2.IsSupported;

    /// <summary>
    /// Writes the entries v &gt;= <paramref name="floor"/> (never NaN) of <paramref name="values"/> and their positions,
    /// in index order; returns their number, or -1 when more than <paramref name="capacity"/> entries are &gt;= floor.
    /// </summary>
    /// <remarks>
    /// Outputs past the number returned may be overwritten (up to 7 entries, never past the outputs' ends). A group of
    /// 4 blocks is written only once the running count plus the entries it keeps is known not to exceed
    /// <paramref name="capacity"/>.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> exceeds the room in the outputs.</exception>
    public static unsafe int Filter(ReadOnlySpan<float> values, float floor, Span<float> candidateValues, Span<int> candidateIndices, int capacity)
    {
        var room = Math.Min(candidateValues.Length, candidateIndices.Length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, room);
        var n = values.Length;
        var m = 0;
        fixed (float* origin = values)
        fixed (float* outValues = candidateValues)
        fixed (int* outIndices = candidateIndices)
        fixed (int* table = s_permutations)
        {
            // NaN never compares true.
            var f = Vector256.Create(floor);
            var blockIndices = Vector256<int>.Indices;
            var step = Vector256.Create(Lanes);
            var i = 0;
            for (; i <= n - (4 * Lanes); i += 4 * Lanes)
            {
                var v0 = Avx.LoadVector256(origin + i);
                var v1 = Avx.LoadVector256(origin + i + Lanes);
                var v2 = Avx.LoadVector256(origin + i + (2 * Lanes));
                var v3 = Avx.LoadVector256(origin + i + (3 * Lanes));
                var bits0 = Vector256.GreaterThanOrEqual(v0, f).ExtractMostSignificantBits();
                var bits1 = Vector256.GreaterThanOrEqual(v1, f).ExtractMostSignificantBits();
                var bits2 = Vector256.GreaterThanOrEqual(v2, f).ExtractMostSignificantBits();
                var bits3 = Vector256.GreaterThanOrEqual(v3, f).ExtractMostSignificantBits();
                var bits = bits0 | (bits1 << Lanes) | (bits2 << (2 * Lanes)) | (bits3 << (3 * Lanes));
                if (bits == 0)
                {
                    blockIndices += Vector256.Create(4 * Lanes);
                    continue;
                }

                if (m + BitOperations.PopCount(bits) > capacity)
                {
                    return -1;
                }

                m = WriteKept(outValues, outIndices, m, room, v0, blockIndices, bits0, table);
                blockIndices += step;
                m = WriteKept(outValues, outIndices, m, room, v1, blockIndices, bits1, table);
                blockIndices += step;
                m = WriteKept(outValues, outIndices, m, room, v2, blockIndices, bits2, table);
                blockIndices += step;
                m = WriteKept(outValues, outIndices, m, room, v3, blockIndices, bits3, table);
                blockIndices += step;
            }

            // The last 1 to 31 entries, a block at a time (the last one partial, read by a masked load).
            for (; i < n; i += Lanes, blockIndices += step)
            {
                var v = Load8(origin + i, n - i);
                var bits = Vector256.GreaterThanOrEqual(v, f).ExtractMostSignificantBits() & FirstBits(n - i);
                if (m + BitOperations.PopCount(bits) > capacity)
                {
                    return -1;
                }

                m = WriteKept(outValues, outIndices, m, room, v, blockIndices, bits, table);
            }
        }

        return m;
    }

    /// <summary>
    /// Copies the candidates v &gt;= <paramref name="threshold"/> and their indices, in order; returns their number.
    /// Outputs past that number may be overwritten (never past the outputs' ends).
    /// </summary>
    /// <exception cref="ArgumentException">More candidates reach the threshold than the outputs hold (a broken invariant: the caller counted them).</exception>
    public static unsafe int Compact(ReadOnlySpan<float> candidateValues, ReadOnlySpan<int> candidateIndices, float threshold, Span<int> indices, Span<float> selected)
    {
        var n = candidateValues.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(candidateIndices.Length, n, nameof(candidateIndices));
        var room = Math.Min(indices.Length, selected.Length);
        var written = 0;
        fixed (float* origin = candidateValues)
        fixed (int* originIndices = candidateIndices)
        fixed (float* outValues = selected)
        fixed (int* outIndices = indices)
        fixed (int* table = s_permutations)
        {
            var t = Vector256.Create(threshold);
            for (var i = 0; i < n; i += Lanes)
            {
                var v = Load8(origin + i, n - i);
                var bits = Vector256.GreaterThanOrEqual(v, t).ExtractMostSignificantBits() & FirstBits(n - i);
                if (bits == 0)
                {
                    continue;
                }

                if (written + BitOperations.PopCount(bits) > room)
                {
                    ThrowNoRoom(room);
                }

                written = WriteKept(outValues, outIndices, written, room, v, Load8(originIndices + i, n - i), bits, table);
            }
        }

        return written;
    }

    /// <summary>
    /// Loads the 8 entries from <paramref name="address"/>, or, when only <paramref name="rest"/> &lt; 8 are left, those
    /// with zeros in the other lanes: a masked load, which reads (and faults on) the kept lanes only. The caller drops
    /// the other lanes with <see cref="FirstBits"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Load8(float* address, int rest) =>
        rest >= Lanes ? Avx.LoadVector256(address) : Avx.MaskLoad(address, FirstLanes(rest).AsSingle());

    /// <summary>The integer counterpart of <see cref="Load8(float*, int)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Load8(int* address, int rest) =>
        rest >= Lanes ? Avx.LoadVector256(address) : Avx2.MaskLoad(address, FirstLanes(rest));

    /// <summary>A vector mask of the first <paramref name="lanes"/> lanes (0 to 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> FirstLanes(int lanes) => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(lanes));

    /// <summary>The compare-mask bits of the first min(<paramref name="lanes"/>, 8) lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint FirstBits(int lanes) => lanes >= Lanes ? 0xFFu : (1u << lanes) - 1;

    /// <summary>
    /// Writes the lanes of <paramref name="values"/> and <paramref name="indices"/> set in <paramref name="bits"/>, in
    /// lane order, from position <paramref name="at"/> of two outputs of <paramref name="room"/> entries (the caller has
    /// checked that they fit); returns <paramref name="at"/> plus their number.
    /// </summary>
    /// <remarks>
    /// Where 8 entries fit from <paramref name="at"/>, both registers are permuted by the table's row for
    /// <paramref name="bits"/> and stored whole: the lanes past the kept ones land on entries that a later block
    /// overwrites or that lie past the count returned. Near the outputs' ends the kept lanes are written one by one.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int WriteKept(float* outValues, int* outIndices, int at, int room, Vector256<float> values, Vector256<int> indices, uint bits, int* table)
    {
        if (at <= room - Lanes)
        {
            var permutation = Avx.LoadVector256(table + (bits * Lanes));
            Avx.Store(outValues + at, Avx2.PermuteVar8x32(values, permutation));
            Avx.Store(outIndices + at, Avx2.PermuteVar8x32(indices, permutation));
            return at + BitOperations.PopCount(bits);
        }

        while (bits != 0)
        {
            var lane = BitOperations.TrailingZeroCount(bits);
            outValues[at] = values.GetElement(lane);
            outIndices[at++] = indices.GetElement(lane);
            bits &= bits - 1;
        }

        return at;
    }

    private static void ThrowNoRoom(int room) =>
        throw new ArgumentException($"More than {room} candidates reach the threshold.", "indices");

    private static int[] BuildPermutations()
    {
        var table = GC.AllocateArray<int>(256 * Lanes, pinned: true);
        for (var mask = 0; mask < 256; mask++)
        {
            var written = 0;
            for (var lane = 0; lane < Lanes; lane++)
            {
                if ((mask & (1 << lane)) != 0)
                {
                    table[(mask * Lanes) + written++] = lane;
                }
            }
        }

        return table;
    }
}
