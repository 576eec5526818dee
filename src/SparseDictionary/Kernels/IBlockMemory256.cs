using System.Runtime.Intrinsics;

namespace SparseDictionary.Kernels;

/// <summary>
/// The two memory operations in which the 256-bit selection paths differ (<see cref="SelectionLanes256{TMemory}"/>):
/// reading a row's last partial block, and writing the kept lanes of a block. AVX2 has instructions for both (masked
/// loads, lane permutations: <see cref="Avx2BlockMemory"/>); portable <see cref="Vector256{T}"/> code does without
/// (<see cref="Vector256BlockMemory"/>).
/// </summary>
internal unsafe interface IBlockMemory256
{
    /// <summary>As <see cref="ISelectionLanes{TValues, TIndices, TCounts}.LoadLast"/>.</summary>
    static abstract Vector256<float> LoadLast(float* row, int start, int length, float fill, out int first);

    /// <summary>As <see cref="ISelectionLanes{TValues, TIndices, TCounts}.LoadLastIndices"/>.</summary>
    static abstract Vector256<int> LoadLastIndices(int* row, int first, int length);

    /// <summary>
    /// Writes the lanes of <paramref name="block"/> and <paramref name="positions"/> set in <paramref name="kept"/>, in
    /// lane order, from position <paramref name="at"/> of two outputs of <paramref name="room"/> entries (the caller has
    /// checked that they fit); returns <paramref name="at"/> plus their number. The block lies in memory as
    /// <see cref="ISelectionLanes{TValues, TIndices, TCounts}.WriteKept"/> describes.
    /// </summary>
    static abstract int WriteKept(float* values, int* indices, int at, int room, Vector256<float> block, Vector256<int> positions, uint kept, float* source, int* sourceIndices, int offset);
}
