using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SparseDictionary.Kernels;

/// <summary>
/// The selection passes on 256-bit vectors: 8 entries per compare, counted by subtracting compare results (all ones,
/// -1 as an integer, where true) from vector accumulators; the read of a row's last partial block and the writing of kept
/// entries come from <typeparamref name="TMemory"/> (<see cref="Avx2BlockMemory"/> on <see cref="KernelPath.Avx2Fma"/>,
/// <see cref="Vector256BlockMemory"/> on <see cref="KernelPath.Vector256"/>).
/// </summary>
/// <typeparam name="TMemory">How blocks are read at a row's end and how kept lanes are written.</typeparam>
internal readonly unsafe struct SelectionLanes256<TMemory> : ISelectionLanes<Vector256<float>, Vector256<int>, Vector256<int>>
    where TMemory : struct, IBlockMemory256
{
    /// <inheritdoc/>
    public static int Count => Vector256<float>.Count;

    /// <inheritdoc/>
    public static Vector256<int> NoCounts => Vector256<int>.Zero;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source) => Vector256.Load(source);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> LoadIndices(int* source) => Vector256.Load(source);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadLast(float* row, int start, int length, float fill, out int first) =>
        TMemory.LoadLast(row, start, length, fill, out first);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> LoadLastIndices(int* row, int first, int length) => TMemory.LoadLastIndices(row, first, length);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint AtLeast(Vector256<float> values, Vector256<float> minimum) =>
        Vector256.GreaterThanOrEqual(values, minimum).ExtractMostSignificantBits();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Positions(int first) => Vector256.Create(first) + Vector256<int>.Indices;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Advance(Vector256<int> positions, int entries) => positions + Vector256.Create(entries);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteKept(float* values, int* indices, int at, int room, Vector256<float> block, Vector256<float> minimum, Vector256<int> positions, uint kept, float* source, int* sourceIndices, int offset) =>
        TMemory.WriteKept(values, indices, at, room, block, positions, kept, source, sourceIndices, offset);

    /// <summary>
    /// <paramref name="counts"/> minus the compare result: a true compare is all ones (-1 as an integer), so subtracting
    /// counts it, per lane, without leaving the vector registers. The counting pass keeps two such accumulators, so that
    /// the two blocks of each step add up independently, and sums their lanes once at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> CountAtLeast(Vector256<int> counts, Vector256<float> values, Vector256<float> minimum) =>
        counts - Vector256.GreaterThanOrEqual(values, minimum).AsInt32();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Total(Vector256<int> a, Vector256<int> b) => Vector256.Sum(a + b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.MaxNative(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.MinNative(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> KeepAtLeast(Vector256<float> values, Vector256<float> minimum, Vector256<float> fill) =>
        Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(values, minimum), values, fill);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector256<float> values) => AcrossLanes.Max(values);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MinAcross(Vector256<float> values) => AcrossLanes.Min(values);
}
