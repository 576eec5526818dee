using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SparseDictionary.Kernels;

/// <summary>
/// The block memory of the selection passes on portable <see cref="Vector256{T}"/> (<see cref="KernelPath.Vector256"/>),
/// which has neither masked loads nor a compress or a variable lane permutation: a row's last 1 to 7 entries are read as
/// its last 8 (the lanes already seen replaced by the fill), and kept entries are copied one by one.
/// </summary>
internal readonly unsafe struct Vector256BlockMemory : IBlockMemory256
{
    private const int Lanes = 8;

    /// <summary>
    /// The row's last 8 entries, with <paramref name="fill"/> in the lanes before <paramref name="start"/> (already
    /// read); <paramref name="first"/> is the row's length less 8. A row shorter than 8 entries is copied lane by lane.
    /// </summary>
    /// <remarks>
    /// One vector for the last 1 to 7 entries rather than a scalar loop: a loop's branch per entry goes either way at
    /// random on candidates near the threshold.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadLast(float* row, int start, int length, float fill, out int first)
    {
        if (length < Lanes)
        {
            first = start;
            return LoadShort(row + start, length - start, fill);
        }

        first = length - Lanes;
        var fresh = Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(start - first)).AsSingle();
        return Vector256.ConditionalSelect(fresh, Vector256.Load(row + first), Vector256.Create(fill));
    }

    /// <summary>The positions of the block <see cref="LoadLast"/> read from <paramref name="first"/> (zeros past a short row's end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> LoadLastIndices(int* row, int first, int length) =>
        length - first >= Lanes ? Vector256.Load(row + first) : LoadShort(row + first, length - first, 0);

    /// <summary>
    /// Copies the kept lanes one by one (a loop over the set bits of <paramref name="kept"/>), read from the block's
    /// place in memory rather than from the registers (see <see cref="ISelectionLanes{TValues, TIndices, TCounts}.WriteKept"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteKept(float* values, int* indices, int at, int room, Vector256<float> block, Vector256<int> positions, uint kept, float* source, int* sourceIndices, int offset)
    {
        while (kept != 0)
        {
            var entry = offset + BitOperations.TrailingZeroCount(kept);
            values[at] = source[entry];
            indices[at++] = sourceIndices == null ? entry : sourceIndices[entry];
            kept &= kept - 1;
        }

        return at;
    }

    /// <summary>The <paramref name="count"/> (0 to 7) entries at <paramref name="source"/>, then <paramref name="fill"/>.</summary>
    /// <remarks>
    /// Built in a local buffer, inline: a call here would keep the callers' accumulators in memory rather than in
    /// registers throughout their loops (the register allocator spills what lives across a call), which made the
    /// portable path's maximum and filter passes several times slower.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> LoadShort<T>(T* source, int count, T fill)
        where T : unmanaged
    {
        var block = default(EightLanes<T>);
        for (var lane = 0; lane < Lanes; lane++)
        {
            block[lane] = lane < count ? source[lane] : fill;
        }

        return Unsafe.As<EightLanes<T>, Vector256<T>>(ref block);
    }

    /// <summary>Room for the 8 lanes of a 256-bit vector of 4-byte entries.</summary>
    [InlineArray(Lanes)]
    private struct EightLanes<T>
        where T : unmanaged
    {
        private T _lane;
    }
}
