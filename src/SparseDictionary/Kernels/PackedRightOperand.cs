using System.Buffers;

namespace SparseDictionary.Kernels;

/// <summary>
/// A right GEMM operand op(B) (<see cref="Depth"/> x <see cref="Columns"/>) packed once into the micro-kernel's
/// panel layout, to multiply many left operands by it without repacking. Created by <see cref="Gemm.PackRight"/>.
/// </summary>
/// <remarks>
/// Layout: for each depth block of <see cref="Gemm.DepthBlock"/>'s blocking (start <c>p0</c>, depth <c>kc</c>), at
/// offset <c>p0 * PaddedColumns</c>, the <c>PaddedColumns / NR</c> micro-panels of all columns, each <c>kc * NR</c>
/// floats (see <see cref="GemmPacking"/>). Columns past <see cref="Columns"/> are zero. The buffer comes from
/// <see cref="ArrayPool{T}.Shared"/> and goes back on <see cref="Dispose"/>, or is lent by the caller (then it is
/// only overwritten, never returned anywhere); the operand must not be used after <see cref="Dispose"/> nor disposed
/// while a multiplication is using it.
/// </remarks>
internal sealed unsafe class PackedRightOperand : IDisposable
{
    /// <summary>The buffer; <see langword="null"/> once disposed.</summary>
    private float[]? _buffer;

    /// <summary>Whether <see cref="_buffer"/> was rented from the shared pool (else lent by the caller).</summary>
    private readonly bool _pooled;

    /// <summary>Creates an operand over a buffer the caller then fills: <paramref name="lent"/> when it holds at least <see cref="Length"/> floats, else a rented one.</summary>
    /// <param name="depth">Rows of op(B) (k).</param>
    /// <param name="columns">Columns of op(B) (n).</param>
    /// <param name="lent">A buffer to pack into instead of renting one (its contents are overwritten), or <see langword="null"/>.</param>
    internal PackedRightOperand(int depth, int columns, float[]? lent = null)
    {
        Depth = depth;
        Columns = columns;
        PaddedColumns = Gemm.CeilDiv(columns, Gemm.NR) * Gemm.NR;
        Length = (long)depth * PaddedColumns;
        if (Length > Array.MaxLength - Gemm.AlignmentFloats)
        {
            throw new ArgumentOutOfRangeException(nameof(columns), columns, $"op(B) of {depth} x {columns} is too large to pack.");
        }

        if (lent is not null && lent.Length >= Length)
        {
            _buffer = lent;
        }
        else
        {
            _buffer = ArrayPool<float>.Shared.Rent((int)Length + Gemm.AlignmentFloats);
            _pooled = true;
        }
    }

    /// <summary>Rows of op(B): the k of the multiplications.</summary>
    internal int Depth { get; }

    /// <summary>Columns of op(B): the n of the multiplications.</summary>
    internal int Columns { get; }

    /// <summary><see cref="Columns"/> rounded up to a whole number of micro-panels.</summary>
    internal int PaddedColumns { get; }

    /// <summary>The number of packed floats.</summary>
    internal long Length { get; }

    /// <summary>
    /// The offset, in floats, of the packed data in the buffer, chosen when packing so the data started on a
    /// 64-byte boundary. Should the garbage collector ever move the buffer, the data stays valid (only its alignment,
    /// hence speed, may change).
    /// </summary>
    internal int Offset { get; set; }

    /// <summary>Returns the buffer, or throws if the operand has been disposed.</summary>
    /// <returns>The pooled buffer.</returns>
    /// <exception cref="ObjectDisposedException">The operand has been disposed.</exception>
    internal float[] GetBuffer()
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        return _buffer;
    }

    /// <summary>Returns a pooled buffer (a lent one is left to its owner).</summary>
    public void Dispose()
    {
        float[]? buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null && _pooled)
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
