using System.Buffers;

namespace SparseDictionary.Kernels;

/// <summary>
/// A small left GEMM operand op(A) (<see cref="Rows"/> x <see cref="Depth"/>) packed whole, every depth block, into
/// the micro-kernel's panel layout, to be multiplied by column ranges of a <see cref="PackedRightOperand"/> on one
/// thread (<see cref="Gemm.MultiplyStrips"/>). Created by <see cref="Gemm.PackLeft"/>.
/// </summary>
/// <remarks>
/// Layout: for each depth block of <see cref="Gemm.DepthBlock"/>'s blocking (start <c>p0</c>, depth <c>kc</c>), at
/// offset <c>p0 * PaddedRows</c>, the <c>ceil(Rows / MR)</c> micro-panels of <see cref="GemmPacking.PackA"/>, each
/// <c>MR * kc</c> floats. The buffer comes from <see cref="ArrayPool{T}.Shared"/> and goes back on
/// <see cref="Dispose"/>; the operand must not be used after that.
/// </remarks>
internal sealed class PackedLeftOperand : IDisposable
{
    /// <summary>The buffer; <see langword="null"/> once disposed.</summary>
    private float[]? _buffer;

    /// <summary>Creates an operand over a rented buffer that the caller then fills.</summary>
    /// <param name="rows">Rows of op(A) (m), at least 1.</param>
    /// <param name="depth">Columns of op(A) (k), at least 1.</param>
    /// <param name="path">The kernel path the operand is packed and multiplied on.</param>
    internal PackedLeftOperand(int rows, int depth, KernelPath path)
    {
        Rows = rows;
        Depth = depth;
        Path = path;
        PaddedRows = Gemm.CeilDiv(rows, 2 * Gemm.MR) * 2 * Gemm.MR;
        Length = (long)PaddedRows * depth;
        if (Length > Array.MaxLength - Gemm.AlignmentFloats - GemmPacking.Slack)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"op(A) of {rows} x {depth} is too large to pack whole.");
        }

        _buffer = ArrayPool<float>.Shared.Rent((int)Length + Gemm.AlignmentFloats + GemmPacking.Slack);
    }

    /// <summary>Rows of op(A): the m of the multiplications.</summary>
    internal int Rows { get; }

    /// <summary>Columns of op(A): the k of the multiplications.</summary>
    internal int Depth { get; }

    /// <summary><see cref="Rows"/> rounded up to a whole number of 12-row blocks (two micro-panels).</summary>
    internal int PaddedRows { get; }

    /// <summary>The kernel path the operand was packed on (its multiplications use the same).</summary>
    internal KernelPath Path { get; }

    /// <summary>The number of packed floats.</summary>
    internal long Length { get; }

    /// <summary>The offset, in floats, of the packed data in the buffer (chosen for 64-byte alignment when packing).</summary>
    internal int Offset { get; set; }

    /// <summary>Returns the buffer, or throws if the operand has been disposed.</summary>
    /// <returns>The pooled buffer.</returns>
    /// <exception cref="ObjectDisposedException">The operand has been disposed.</exception>
    internal float[] GetBuffer()
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        return _buffer;
    }

    /// <summary>Returns the pooled buffer.</summary>
    public void Dispose()
    {
        float[]? buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
