using System.Runtime.CompilerServices;

namespace SparseDictionary.Kernels;

/// <summary>
/// The selection passes one entry at a time (<see cref="KernelPath.Scalar"/>): blocks of 1 lane, so that no row has a
/// partial last block, compares turned into 0 or 1 and added without a branch, and a kept entry written without a
/// branch on whether it is kept (written in any case, then counted or not).
/// </summary>
internal readonly unsafe struct SelectionLanesScalar : ISelectionLanes<float, int, int>
{
    /// <inheritdoc/>
    public static int Count => 1;

    /// <inheritdoc/>
    public static int NoCounts => 0;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Broadcast(float value) => value;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(float* source) => *source;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LoadIndices(int* source) => *source;

    /// <summary>The entry at <paramref name="start"/> (unused: blocks of 1 entry leave no partial block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadLast(float* row, int start, int length, float fill, out int first)
    {
        first = start;
        return row[start];
    }

    /// <summary>The position at <paramref name="first"/> (unused, as <see cref="LoadLast"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LoadLastIndices(int* row, int first, int length) => row[first];

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint AtLeast(float values, float minimum) => values >= minimum ? 1u : 0u;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Positions(int first) => first;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Advance(int positions, int entries) => positions + entries;

    /// <summary>
    /// Writes the entry at <paramref name="at"/> whether it is kept or not (while there is room) and returns
    /// <paramref name="at"/> plus <paramref name="kept"/> (0 or 1): a dropped entry is overwritten by the next one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteKept(float* values, int* indices, int at, int room, float block, float minimum, int positions, uint kept, float* source, int* sourceIndices, int offset)
    {
        if (at < room)
        {
            values[at] = block;
            indices[at] = positions;
        }

        return at + (int)kept;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CountAtLeast(int counts, float values, float minimum) => counts + (values >= minimum ? 1 : 0);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Total(int a, int b) => a + b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Max(float a, float b) => a > b ? a : b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Min(float a, float b) => a < b ? a : b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float KeepAtLeast(float values, float minimum, float fill) => values >= minimum ? values : fill;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(float values) => values;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MinAcross(float values) => values;
}
