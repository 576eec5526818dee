using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseDictionary.Kernels;

/// <summary>
/// The block memory of the selection passes on AVX2 (<see cref="KernelPath.Avx2Fma"/>): a row's last partial block
/// read by a masked load, and the kept entries of a block packed to the front of a register by one lane permutation
/// (<c>vpermps</c>/<c>vpermd</c>) looked up by the compare's 8-bit mask, then stored whole.
/// </summary>
/// <remarks>
/// <para>AVX2 has no compress instruction. Copying the kept entries one by one (a loop over the mask's set bits) costs
/// a branch per block whose outcome is random on wide rows, where 1 entry in 16 to 1 in 500 is kept; measured on an
/// Intel Xeon (Sapphire Rapids, AVX-512), those mispredictions made the 512-wide selection 4 to 5 times slower than on
/// the AVX-512 path. The table of
/// permutations (256 masks x 8 lanes, 8 KB) replaces the bit loop: a block costs a load, two permutes and two stores
/// whether it keeps entries or not, and, as on the AVX-512 path, one branch skips a group of 4 blocks that keeps
/// none (<see cref="SelectionPasses{TLanes, TValues, TIndices, TCounts}.Filter"/>).</para>
/// <para>The selection is the same as on every other path: the entries v &gt;= the floor, in index order.</para>
/// </remarks>
internal readonly unsafe struct Avx2BlockMemory : IBlockMemory256
{
    private const int Lanes = 8;

    /// <summary>
    /// Row <c>mask</c> (8 ints from <c>8 mask</c>) lists the lanes whose bit is set in <c>mask</c>, in increasing
    /// order, then zeros. Pinned, so that the kernels can read it through <see cref="s_table"/>.
    /// </summary>
    private static readonly int[] s_permutations = BuildPermutations();

    /// <summary>
    /// The first entry of <see cref="s_permutations"/>: a read-only static, which optimized code takes as a constant
    /// (a field holding the array would be loaded again for every block written).
    /// </summary>
    private static readonly int* s_table = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(s_permutations));

    /// <summary>
    /// The entries from <paramref name="start"/> to <paramref name="length"/>, with <paramref name="fill"/> in the other
    /// lanes: a masked load, which reads (and faults on) the kept lanes only; <paramref name="first"/> is
    /// <paramref name="start"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadLast(float* row, int start, int length, float fill, out int first)
    {
        first = start;
        var fresh = FirstLanes(length - start).AsSingle();
        return Vector256.ConditionalSelect(fresh, Avx.MaskLoad(row + start, fresh), Vector256.Create(fill));
    }

    /// <summary>The integer counterpart of <see cref="LoadLast"/>, with zeros in the lanes past the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> LoadLastIndices(int* row, int first, int length) => Avx2.MaskLoad(row + first, FirstLanes(length - first));

    /// <inheritdoc/>
    /// <remarks>
    /// Where 8 entries fit from <paramref name="at"/>, both registers are permuted by the table's row for
    /// <paramref name="kept"/> and stored whole: the lanes past the kept ones land on entries that a later block
    /// overwrites or that lie past the count returned. Near the outputs' ends the kept lanes are written one by one.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteKept(float* values, int* indices, int at, int room, Vector256<float> block, Vector256<int> positions, uint kept, float* source, int* sourceIndices, int offset)
    {
        if (at <= room - Lanes)
        {
            var permutation = Avx.LoadVector256(s_table + (kept * Lanes));
            Avx.Store(values + at, Avx2.PermuteVar8x32(block, permutation));
            Avx.Store(indices + at, Avx2.PermuteVar8x32(positions, permutation));
            return at + BitOperations.PopCount(kept);
        }

        return Vector256BlockMemory.WriteKept(values, indices, at, room, block, positions, kept, source, sourceIndices, offset);
    }

    /// <summary>A vector mask of the first <paramref name="lanes"/> lanes (0 to 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> FirstLanes(int lanes) => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(lanes));

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
