using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseDictionary.Kernels;

/// <summary>
/// The selection passes on AVX-512 F (<see cref="KernelPath.Avx512Fma"/>): 16 entries per compare into a mask
/// register, counted by a population count of the mask; a row's last partial block read by a masked load; the kept
/// entries of a block written by two compress instructions (values, positions).
/// </summary>
internal readonly unsafe struct SelectionLanes512 : ISelectionLanes<Vector512<float>, Vector512<int>, int>
{
    /// <inheritdoc/>
    public static int Count => Vector512<float>.Count;

    /// <inheritdoc/>
    public static int NoCounts => 0;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* source) => Vector512.Load(source);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> LoadIndices(int* source) => Vector512.Load(source);

    /// <summary>
    /// The entries from <paramref name="start"/> to <paramref name="length"/>, with <paramref name="fill"/> in the other
    /// lanes: a masked load, which reads (and faults on) the kept lanes only; <paramref name="first"/> is
    /// <paramref name="start"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadLast(float* row, int start, int length, float fill, out int first)
    {
        first = start;
        return Avx512F.MaskLoad(row + start, FirstLanes(length - start).AsSingle(), Vector512.Create(fill));
    }

    /// <summary>The integer counterpart of <see cref="LoadLast"/>, with zeros in the lanes past the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> LoadLastIndices(int* row, int first, int length) =>
        Avx512F.MaskLoad(row + first, FirstLanes(length - first), Vector512<int>.Zero);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint AtLeast(Vector512<float> values, Vector512<float> minimum) =>
        (uint)Vector512.GreaterThanOrEqual(values, minimum).ExtractMostSignificantBits();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Positions(int first) => Vector512.Create(first) + Vector512<int>.Indices;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Advance(Vector512<int> positions, int entries) => positions + Vector512.Create(entries);

    /// <inheritdoc/>
    /// <remarks>
    /// <para>Where 16 entries fit from <paramref name="at"/>, the kept lanes are packed to the front of a register (a
    /// register compress) and the whole register is stored: the lanes past the kept ones land on entries that a later
    /// block overwrites or that lie past the count returned, and never past <paramref name="room"/>. Compressing straight
    /// to memory writes the kept lanes only, but is microcoded: measured on an AVX-512 Xeon, the filter pass ran 1.3 to 1.8
    /// times slower with it, so it is kept for the last 15 entries of an output.</para>
    /// <para>The compare is made again here rather than passed in: a compare result kept across the caller's branches
    /// goes through a vector register on every block, written or not. <paramref name="kept"/> serves only to count.</para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteKept(float* values, int* indices, int at, int room, Vector512<float> block, Vector512<float> minimum, Vector512<int> positions, uint kept, float* source, int* sourceIndices, int offset)
    {
        var keep = Vector512.GreaterThanOrEqual(block, minimum);
        if (at <= room - Vector512<float>.Count)
        {
            Avx512F.Compress(Vector512<float>.Zero, keep, block).Store(values + at);
            Avx512F.Compress(Vector512<int>.Zero, keep.AsInt32(), positions).Store(indices + at);
        }
        else
        {
            Avx512F.CompressStore(values + at, keep, block);
            Avx512F.CompressStore(indices + at, keep.AsInt32(), positions);
        }

        return at + BitOperations.PopCount(kept);
    }

    /// <summary>
    /// <paramref name="counts"/> plus the population count of the compare's mask. The counting pass keeps two such
    /// counts, so that the two blocks of each step add up independently.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CountAtLeast(int counts, Vector512<float> values, Vector512<float> minimum) =>
        counts + BitOperations.PopCount(AtLeast(values, minimum));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Total(int a, int b) => a + b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.MaxNative(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Vector512.MinNative(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> KeepAtLeast(Vector512<float> values, Vector512<float> minimum, Vector512<float> fill) =>
        Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(values, minimum), values, fill);

    /// <summary>The largest lane, by halving (<see cref="AcrossLanes.Max"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector512<float> values) => AcrossLanes.Max(Vector256.MaxNative(values.GetLower(), values.GetUpper()));

    /// <summary>The smallest lane, by halving (<see cref="AcrossLanes.Min"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MinAcross(Vector512<float> values) => AcrossLanes.Min(Vector256.MinNative(values.GetLower(), values.GetUpper()));

    /// <summary>A mask of the first <paramref name="lanes"/> lanes (0 to 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> FirstLanes(int lanes) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes));
}
