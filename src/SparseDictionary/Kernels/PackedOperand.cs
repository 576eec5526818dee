using System.Buffers;

namespace SparseDictionary.Kernels;

/// <summary>
/// The buffer of a GEMM operand packed into the micro-kernel's panel layout (<see cref="PackedLeftOperand"/>,
/// <see cref="PackedRightOperand"/>): rented from <see cref="ArrayPool{T}.Shared"/> and returned on
/// <see cref="Dispose"/>, or lent by the caller (then only overwritten, never returned anywhere). The operand must not
/// be used after <see cref="Dispose"/> nor disposed while a multiplication is using it.
/// </summary>
internal abstract class PackedOperand : IDisposable
{
    /// <summary>The buffer; <see langword="null"/> once disposed.</summary>
    private float[]? _buffer;

    /// <summary>Whether <see cref="_buffer"/> was rented from the shared pool (else lent by the caller).</summary>
    private readonly bool _pooled;

    /// <summary>Uses <paramref name="lent"/> when it holds at least <paramref name="length"/> floats, else rents <paramref name="length"/> + <paramref name="slack"/>.</summary>
    /// <param name="length">The number of packed floats.</param>
    /// <param name="slack">Extra floats to rent (alignment, and room the packer may write past the end).</param>
    /// <param name="lent">A buffer to pack into instead of renting one, or <see langword="null"/>.</param>
    protected PackedOperand(long length, int slack, float[]? lent)
    {
        Length = length;
        if (lent is not null && lent.Length >= length)
        {
            _buffer = lent;
        }
        else
        {
            _buffer = ArrayPool<float>.Shared.Rent((int)length + slack);
            _pooled = true;
        }
    }

    /// <summary>The number of packed floats.</summary>
    internal long Length { get; }

    /// <summary>
    /// The offset, in floats, of the packed data in the buffer, chosen when packing so the data started on a
    /// 64-byte boundary. Should the garbage collector ever move the buffer, the data stays valid (only its alignment,
    /// hence speed, may change).
    /// </summary>
    internal int Offset { get; set; }

    /// <summary>Returns the buffer, or throws if the operand has been disposed.</summary>
    /// <returns>The buffer.</returns>
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

        GC.SuppressFinalize(this);
    }
}
