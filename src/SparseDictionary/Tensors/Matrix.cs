using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SparseDictionary;

/// <summary>
/// A dense float32 matrix in row-major order over contiguous memory, either owned (allocated by the constructor)
/// or a view over memory the caller owns (<see cref="Wrap(float[], int, int)"/>, <see cref="Wrap(Memory{float}, int, int)"/>).
/// </summary>
/// <remarks>
/// Element (r, c) lives at <c>Span[r * Columns + c]</c>. Wrapping never copies: writes through the matrix are
/// visible in the wrapped memory and the other way round. A matrix is not thread-safe for concurrent writers;
/// any number of concurrent readers is fine.
/// </remarks>
public sealed class Matrix
{
    private readonly Memory<float> _memory;

    /// <summary>Allocates a zero-filled <paramref name="rows"/> x <paramref name="columns"/> matrix.</summary>
    /// <param name="rows">Row count, at least 0.</param>
    /// <param name="columns">Column count, at least 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative or the element count exceeds <see cref="Array.MaxLength"/>.</exception>
    public Matrix(int rows, int columns)
        : this(new float[CheckedLength(rows, columns)], rows, columns)
    {
    }

    private Matrix(Memory<float> memory, int rows, int columns)
    {
        _memory = memory;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns (the row length).</summary>
    public int Columns { get; }

    /// <summary>Number of elements, <see cref="Rows"/> x <see cref="Columns"/>.</summary>
    public int Length => Rows * Columns;

    /// <summary>The elements in row-major order.</summary>
    public Memory<float> Memory => _memory;

    /// <summary>The elements in row-major order.</summary>
    public Span<float> Span => _memory.Span;

    /// <summary>Gets or sets element (<paramref name="row"/>, <paramref name="column"/>).</summary>
    /// <param name="row">Row index in [0, <see cref="Rows"/>).</param>
    /// <param name="column">Column index in [0, <see cref="Columns"/>).</param>
    public float this[int row, int column]
    {
        get => _memory.Span[Offset(row, column)];
        set => _memory.Span[Offset(row, column)] = value;
    }

    /// <summary>Views <paramref name="data"/> as a matrix without copying.</summary>
    /// <param name="data">Row-major elements; its length must equal <paramref name="rows"/> x <paramref name="columns"/>.</param>
    /// <param name="rows">Row count.</param>
    /// <param name="columns">Column count.</param>
    /// <returns>A matrix whose elements are <paramref name="data"/>.</returns>
    /// <exception cref="ArgumentException">The length does not match the dimensions.</exception>
    public static Matrix Wrap(float[] data, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Wrap(data.AsMemory(), rows, columns);
    }

    /// <summary>Views <paramref name="memory"/> as a matrix without copying (an array slice, a pooled buffer, a memory-mapped file's <see cref="MemoryManager{T}"/>, another library's tensor data).</summary>
    /// <param name="memory">Row-major elements; its length must equal <paramref name="rows"/> x <paramref name="columns"/>.</param>
    /// <param name="rows">Row count.</param>
    /// <param name="columns">Column count.</param>
    /// <returns>A matrix whose elements are <paramref name="memory"/>.</returns>
    /// <exception cref="ArgumentException">The length does not match the dimensions.</exception>
    public static Matrix Wrap(Memory<float> memory, int rows, int columns)
    {
        var expected = CheckedLength(rows, columns);
        if (memory.Length != expected)
        {
            throw new ArgumentException(
                $"The memory holds {memory.Length} elements but a {rows} x {columns} matrix needs {expected}.", nameof(memory));
        }

        return new Matrix(memory, rows, columns);
    }

    /// <summary>Copies a rectangular array into a new owned matrix.</summary>
    /// <param name="values">The elements; <c>values[r, c]</c> becomes element (r, c).</param>
    /// <returns>A new matrix.</returns>
    public static Matrix FromArray(float[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var matrix = new Matrix(values.GetLength(0), values.GetLength(1));
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, float>(ref MemoryMarshal.GetArrayDataReference(values)), values.Length)
            .CopyTo(matrix.Span);
        return matrix;
    }

    /// <summary>The elements of row <paramref name="row"/>.</summary>
    /// <param name="row">Row index in [0, <see cref="Rows"/>).</param>
    /// <returns>A span of <see cref="Columns"/> elements.</returns>
    public Span<float> Row(int row)
    {
        if ((uint)row >= (uint)Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"Expected a row index in [0, {Rows}).");
        }

        return _memory.Span.Slice(row * Columns, Columns);
    }

    /// <summary>A view of rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) sharing this matrix's memory.</summary>
    /// <param name="start">First row.</param>
    /// <param name="count">Number of rows.</param>
    /// <returns>A matrix view; no copy is made.</returns>
    public Matrix SliceRows(int start, int count)
    {
        if (start < 0 || count < 0 || start > Rows - count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Rows [{start}, {start} + {count}) are not inside [0, {Rows}).");
        }

        return new Matrix(_memory.Slice(start * Columns, count * Columns), count, Columns);
    }

    /// <summary>A new owned matrix with the same elements.</summary>
    /// <returns>The copy.</returns>
    public Matrix Clone()
    {
        var copy = new Matrix(Rows, Columns);
        Span.CopyTo(copy.Span);
        return copy;
    }

    /// <summary>Copies the elements into a new rectangular array.</summary>
    /// <returns>An array with <c>result[r, c]</c> = element (r, c).</returns>
    public float[,] ToArray()
    {
        var result = new float[Rows, Columns];
        Span.CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.As<byte, float>(ref MemoryMarshal.GetArrayDataReference(result)), result.Length));
        return result;
    }

    private int Offset(int row, int column)
    {
        if ((uint)row >= (uint)Rows || (uint)column >= (uint)Columns)
        {
            throw new ArgumentOutOfRangeException(nameof(row), $"Element ({row}, {column}) is outside a {Rows} x {Columns} matrix.");
        }

        return (row * Columns) + column;
    }

    /// <summary>
    /// A zeroed matrix whose first element sits on a cache line (<see cref="AlignedMemory"/>): with a row length that
    /// is a multiple of 16, every row starts on a line, so 512-bit loads of its rows never straddle two lines. For step
    /// buffers that kernels gather rows from.
    /// </summary>
    internal static Matrix CreateAligned(int rows, int columns) =>
        new(AlignedMemory.Allocate(CheckedLength(rows, columns)), rows, columns);

    private static int CheckedLength(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        var length = (long)rows * columns;
        if (length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), $"A {rows} x {columns} matrix has {length} elements, more than the {Array.MaxLength} one buffer can hold.");
        }

        return (int)length;
    }
}
