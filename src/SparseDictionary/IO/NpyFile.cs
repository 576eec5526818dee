using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace SparseDictionary.IO;

/// <summary>
/// A NumPy <c>.npy</c> file holding a 2-D float32 or float16 array, opened for reading (format versions 1.0, 2.0 and
/// 3.0 of the NumPy format specification), and the writer of float32 files.
/// </summary>
/// <remarks>
/// <para>The file is memory-mapped: opening it reads only the header, <see cref="GetRows"/> views float32 rows in place
/// (no copy), and <see cref="ReadRows"/> copies rows, converting float16 to float32, straight from the mapping into the
/// caller's buffer. A file larger than the memory can therefore be read row by row; only the pages touched are loaded,
/// and the operating system can drop them again.</para>
/// <para>Accepted: the magic <c>\x93NUMPY</c>, version 1.0, 2.0 or 3.0, a header dict with exactly the keys
/// <c>descr</c>, <c>fortran_order</c> and <c>shape</c> (in any order, single or double quotes, with or without trailing
/// commas), <c>descr</c> <c>'&lt;f4'</c> or <c>'&lt;f2'</c> (or <c>'='</c> for native order, little-endian on every
/// machine .NET runs on), <c>fortran_order</c> False, a 2-D shape, and data bytes exactly shape x element size. The
/// header may be padded to any alignment (NumPy pads to 64 bytes, old files to 16).</para>
/// <para>The file is treated as hostile. Anything else (bad magic, another version, a header length past the end of the
/// file or over <see cref="MaxHeaderBytes"/>, dict syntax outside the subset NumPy writes, missing, repeated or unknown
/// keys, Fortran order, big-endian or other dtypes, object arrays, a shape that is not 2-D, negative or whose size
/// overflows, a data length that differs from the shape) throws <see cref="InvalidDataException"/> naming the path and
/// the problem. Nothing is allocated because the header claims a size.</para>
/// <para>Views returned by <see cref="GetRows"/> read the mapping and must not be used after <see cref="Dispose"/>;
/// writes through them change a private copy, never the file.</para>
/// </remarks>
public sealed class NpyFile : IDisposable
{
    /// <summary>
    /// The largest header accepted, in bytes (1 MiB). A header this reader accepts is a dict of three short entries, so
    /// only padding makes it long; the cap admits any padding a writer might use to align the data while bounding the
    /// work a hostile file can cause. (NumPy's own reader refuses headers over 10,000 bytes unless told otherwise.)
    /// </summary>
    public const int MaxHeaderBytes = NpyHeader.MaxHeaderBytes;

    // NumPy leaves room for a first dimension of up to 21 digits in the header, so that a file can grow in place.
    private const int GrowthAxisMaxDigits = 21;
    private const int Alignment = 64;

    private readonly MappedFile _file;
    private readonly NpyHeader _header;
    private bool _disposed;

    private NpyFile(MappedFile file, NpyHeader header)
    {
        _file = file;
        _header = header;
    }

    /// <summary>The file's path.</summary>
    public string Path => _file.Path;

    /// <summary>The format's major version: 1, 2 or 3 (the minor version is always 0).</summary>
    public int FormatVersion => _header.MajorVersion;

    /// <summary>The element type stored in the file.</summary>
    public NpyDataType DataType => _header.DataType;

    /// <summary>The number of rows (the first dimension of the shape).</summary>
    public long Rows => _header.Rows;

    /// <summary>The number of columns (the second dimension of the shape).</summary>
    public int Columns => _header.Columns;

    /// <summary>Byte offset of the first element in the file (the length of the magic string, version and header).</summary>
    public long DataOffset => _header.DataOffset;

    /// <summary>Opens and validates <paramref name="path"/>.</summary>
    /// <param name="path">An .npy file.</param>
    /// <returns>The open file; dispose it to unmap it.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file breaks the format or holds an array this reader does not accept; the message names the path and the problem.</exception>
    public static NpyFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = new MappedFile(path);
        try
        {
            return new NpyFile(file, NpyHeader.Read(file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads the whole array of <paramref name="path"/> into a new matrix (a copy; the file is closed again).</summary>
    /// <param name="path">An .npy file.</param>
    /// <returns>A new matrix with the file's rows.</returns>
    /// <exception cref="InvalidDataException">The file is invalid, or holds more elements than one matrix can.</exception>
    public static Matrix Load(string path)
    {
        using var file = Open(path);
        if (file.Rows * (long)file.Columns > Array.MaxLength || file.Rows > int.MaxValue)
        {
            throw new InvalidDataException($"{path} holds a ({file.Rows}, {file.Columns}) array; one matrix holds at most {Array.MaxLength} elements and {int.MaxValue} rows.");
        }

        var matrix = new Matrix((int)file.Rows, file.Columns);
        file.ReadRows(0, matrix.Rows, matrix.Span);
        return matrix;
    }

    /// <summary>
    /// Rows [<paramref name="firstRow"/>, <paramref name="firstRow"/> + <paramref name="count"/>) as a matrix: for
    /// float32 a view of the mapped file (no copy, valid until <see cref="Dispose"/>), for float16 a new converted matrix.
    /// </summary>
    /// <param name="firstRow">The first row, in [0, <see cref="Rows"/>].</param>
    /// <param name="count">The number of rows; the rows must lie inside the file and fit in one matrix.</param>
    /// <returns>A <paramref name="count"/> x <see cref="Columns"/> matrix.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The rows are not inside the file, or too many for one matrix.</exception>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    public Matrix GetRows(long firstRow, int count)
    {
        CheckRows(firstRow, count);
        if ((long)count * Columns > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"{count} rows of {Columns} columns of {Path} exceed the {Array.MaxLength} elements of one matrix.");
        }

        if (DataType == NpyDataType.Float32)
        {
            return Matrix.Wrap(_file.FloatView(RowOffset(firstRow), count * Columns), count, Columns);
        }

        var matrix = new Matrix(count, Columns);
        ReadRows(firstRow, count, matrix.Span);
        return matrix;
    }

    /// <summary>
    /// Copies rows [<paramref name="firstRow"/>, <paramref name="firstRow"/> + <paramref name="count"/>), converted to
    /// float32, from the mapping into <paramref name="destination"/>, without any intermediate buffer.
    /// </summary>
    /// <param name="firstRow">The first row, in [0, <see cref="Rows"/>].</param>
    /// <param name="count">The number of rows; the rows must lie inside the file.</param>
    /// <param name="destination">Exactly <paramref name="count"/> x <see cref="Columns"/> elements, row-major.</param>
    /// <exception cref="ArgumentOutOfRangeException">The rows are not inside the file.</exception>
    /// <exception cref="ArgumentException">The destination's length is not <paramref name="count"/> x <see cref="Columns"/>.</exception>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    public void ReadRows(long firstRow, int count, Span<float> destination)
    {
        CheckRows(firstRow, count);
        if (destination.Length != (long)count * Columns)
        {
            throw new ArgumentException($"{count} rows of {Path} hold {(long)count * Columns} elements but the destination holds {destination.Length}.", nameof(destination));
        }

        var type = DataType == NpyDataType.Float32 ? SafeTensorsDataType.F32 : SafeTensorsDataType.F16;
        MappedFloats.Read(_file, RowOffset(firstRow), type, destination);
    }

    /// <summary>
    /// Writes <paramref name="matrix"/> to <paramref name="path"/> as a float32 ('&lt;f4'), C-order, version 1.0 .npy file,
    /// byte for byte as NumPy's <c>numpy.save</c> writes it (header padded with spaces so that the data starts on a 64-byte
    /// boundary). The write is atomic: a temporary file in the same folder, flushed to the disk, renamed over the target.
    /// </summary>
    /// <param name="path">The file to write; an existing file is replaced.</param>
    /// <param name="matrix">The rows to write.</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, Matrix matrix)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(matrix);
        var header = HeaderBytes(matrix.Rows, matrix.Columns);
        AtomicFile.Write(path, stream =>
        {
            stream.Write(header);
            const int chunk = 1 << 20;
            var values = matrix.Span;
            for (var start = 0; start < values.Length; start += chunk)
            {
                // No big-endian .NET target exists, so the floats are written in memory order, which is little-endian.
                stream.Write(MemoryMarshal.AsBytes(values.Slice(start, Math.Min(chunk, values.Length - start))));
            }
        });
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        _file.Dispose();
    }

    /// <summary>The magic string, version, header length and header of a float32 (rows, columns) version 1.0 file.</summary>
    internal static byte[] HeaderBytes(long rows, int columns)
    {
        var rowsText = rows.ToString(CultureInfo.InvariantCulture);
        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rowsText}, {columns.ToString(CultureInfo.InvariantCulture)}), }}"
            + new string(' ', Math.Max(0, GrowthAxisMaxDigits - rowsText.Length));
        var preamble = NpyHeader.Magic.Length + 2 + 2;

        // As NumPy: pad so that preamble + dict + padding + '\n' is a multiple of 64 (a full 64 when already aligned).
        var padding = Alignment - ((preamble + dict.Length + 1) % Alignment);
        var headerLength = dict.Length + padding + 1;
        var bytes = new byte[preamble + headerLength];
        NpyHeader.Magic.CopyTo(bytes);
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), checked((ushort)headerLength));
        Encoding.ASCII.GetBytes(dict, bytes.AsSpan(preamble));
        bytes.AsSpan(preamble + dict.Length, padding).Fill((byte)' ');
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    private long RowOffset(long row) => DataOffset + (row * Columns * _header.ElementSize);

    private void CheckRows(long firstRow, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (firstRow < 0 || count < 0 || firstRow > Rows || count > Rows - firstRow)
        {
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"Rows [{firstRow}, {firstRow} + {count}) are not inside the {Rows} rows of {Path}.");
        }
    }
}
