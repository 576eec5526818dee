using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SparseDictionary;

/// <summary>
/// Float buffers whose first element sits on a 64-byte boundary (a cache line), for parameters, optimizer state and
/// step buffers that the kernels stream or gather rows from.
/// </summary>
/// <remarks>
/// A managed array's data starts wherever the allocator put the array (in 8-byte steps: 7 times in 8 not on a line),
/// and a 512-bit load that straddles two lines costs about twice as much: measured on an Intel Xeon (Sapphire Rapids,
/// AVX-512), the weight-gradient pass ran 20-30 % slower and the sparse decode up to 50 % slower on unaligned rows, and
/// the encoder GEMM 6-8 % slower on an unaligned packed W_enc. The buffer here is a pinned array (the garbage collector never moves it) with up to 15
/// floats of slack before the aligned start; with a row length that is a multiple of 16, every row starts on a line.
/// Alignment changes speed only: the results are the same bits.
/// </remarks>
internal static class AlignedMemory
{
    /// <summary>The alignment, in bytes.</summary>
    internal const int Alignment = 64;

    private const int SlackFloats = (Alignment / sizeof(float)) - 1;

    /// <summary>A zeroed buffer of <paramref name="length"/> floats starting on a 64-byte boundary.</summary>
    /// <param name="length">Number of floats (0 or more).</param>
    internal static Memory<float> Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var buffer = GC.AllocateArray<float>(length + SlackFloats, pinned: true);
        return buffer.AsMemory(OffsetToAlignment(buffer), length);
    }

    /// <summary>A copy of <paramref name="source"/> in a new aligned buffer.</summary>
    internal static Memory<float> CopyOf(ReadOnlySpan<float> source)
    {
        var copy = Allocate(source.Length);
        source.CopyTo(copy.Span);
        return copy;
    }

    /// <summary>
    /// The whole pinned array behind <paramref name="memory"/> (slack included), to lend as scratch to code that aligns
    /// its own start inside an array (the GEMM's packing), or null when the memory is not backed by an array.
    /// </summary>
    internal static float[]? UnderlyingArray(Memory<float> memory) =>
        MemoryMarshal.TryGetArray<float>(memory, out var segment) ? segment.Array : null;

    private static unsafe int OffsetToAlignment(float[] pinned)
    {
        var address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return (int)((Alignment - (address & (Alignment - 1))) & (Alignment - 1)) / sizeof(float);
    }
}
