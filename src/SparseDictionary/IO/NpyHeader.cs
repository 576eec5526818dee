using System.Buffers.Binary;
using System.Text;

namespace SparseDictionary.IO;

/// <summary>
/// The validated preamble of an .npy file (NumPy format versions 1.0, 2.0 and 3.0) holding a 2-D, C-order,
/// little-endian float32 or float16 array: where its data starts and what shape and type it has.
/// </summary>
/// <remarks>
/// Layout: the magic <c>\x93NUMPY</c>, the major and minor version bytes, the header length (u16 little-endian for 1.0,
/// u32 for 2.0 and 3.0), then the header: a Python dict literal with exactly the keys <c>descr</c>,
/// <c>fortran_order</c> and <c>shape</c>, padded with spaces and ended by a newline (ASCII/latin1 for 1.0 and 2.0, UTF-8
/// for 3.0). The data follows at once. Writers align the data to 64 bytes (16 in old files); any alignment is accepted.
/// </remarks>
internal sealed class NpyHeader
{
    /// <summary>
    /// The largest header accepted, in bytes. A header this reader accepts is a dict of three short entries, so only
    /// padding can make it long; 1 MiB admits any padding a writer might use to align the data (to a page, say), while
    /// bounding the parsing work a hostile file can cause. Version 1.0 headers cannot exceed 65,535 bytes anyway.
    /// </summary>
    public const int MaxHeaderBytes = 1 << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private NpyHeader(int majorVersion, NpyDataType dataType, long rows, int columns, long dataOffset)
    {
        MajorVersion = majorVersion;
        DataType = dataType;
        Rows = rows;
        Columns = columns;
        DataOffset = dataOffset;
    }

    /// <summary>The magic string every .npy file starts with.</summary>
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The format's major version: 1, 2 or 3.</summary>
    public int MajorVersion { get; }

    /// <summary>The element type.</summary>
    public NpyDataType DataType { get; }

    /// <summary>The first dimension of the shape.</summary>
    public long Rows { get; }

    /// <summary>The second dimension of the shape.</summary>
    public int Columns { get; }

    /// <summary>Byte offset of the first element.</summary>
    public long DataOffset { get; }

    /// <summary>Bytes per element.</summary>
    public int ElementSize => DataType == NpyDataType.Float32 ? 4 : 2;

    /// <summary>Reads and validates the preamble of <paramref name="file"/>, checking the data length against the shape.</summary>
    /// <exception cref="InvalidDataException">The file is not an .npy file this reader accepts; the message names the path and the problem.</exception>
    public static NpyHeader Read(MappedFile file)
    {
        var path = file.Path;
        if (file.Length < 6 || !file.Bytes(0, 6).SequenceEqual(Magic))
        {
            var shown = Convert.ToHexString(file.Bytes(0, (int)Math.Min(file.Length, 6)));
            throw new InvalidDataException($"{path} does not start with the .npy magic string 934E554D5059 (\\x93NUMPY); its first bytes are {(shown.Length == 0 ? "none" : shown)} ({file.Length} bytes in all).");
        }

        if (file.Length < 8)
        {
            throw new InvalidDataException($"{path} is {file.Length} bytes long, too short for the version bytes that follow the .npy magic string.");
        }

        var (major, minor) = (file.Bytes(6, 1)[0], file.Bytes(7, 1)[0]);
        if (major is < 1 or > 3 || minor != 0)
        {
            throw new InvalidDataException($"{path} is .npy format version {major}.{minor}; versions 1.0, 2.0 and 3.0 are supported.");
        }

        var lengthBytes = major == 1 ? 2 : 4;
        var headerStart = 8 + lengthBytes;
        if (file.Length < headerStart)
        {
            throw new InvalidDataException($"{path} is {file.Length} bytes long, too short for the {lengthBytes}-byte header length of an .npy version {major}.0 file.");
        }

        long headerLength = major == 1
            ? BinaryPrimitives.ReadUInt16LittleEndian(file.Bytes(8, 2))
            : BinaryPrimitives.ReadUInt32LittleEndian(file.Bytes(8, 4));
        if (headerLength > MaxHeaderBytes)
        {
            throw new InvalidDataException($"{path} declares an .npy header of {headerLength} bytes; at most {MaxHeaderBytes} are accepted.");
        }

        if (headerLength > file.Length - headerStart)
        {
            throw new InvalidDataException($"{path} declares an .npy header of {headerLength} bytes but only {file.Length - headerStart} bytes follow the header length.");
        }

        var text = Decode(file.Bytes(headerStart, (int)headerLength), major, path);
        var entries = NpyDictionaryParser.Parse(text, path);
        var dataOffset = headerStart + headerLength;
        var (dataType, rows, columns) = Validate(entries, path);
        var expected = checked(rows * columns * (dataType == NpyDataType.Float32 ? 4 : 2)); // bounded by Validate
        var actual = file.Length - dataOffset;
        if (actual != expected)
        {
            throw new InvalidDataException($"{path} holds {actual} data bytes after its header, but shape ({rows}, {columns}) of {Descr(dataType)} needs {expected}.");
        }

        return new NpyHeader(major, dataType, rows, (int)columns, dataOffset);
    }

    /// <summary>The dtype string of <paramref name="type"/>, e.g. <c>'&lt;f4'</c>.</summary>
    public static string Descr(NpyDataType type) => type == NpyDataType.Float32 ? "'<f4'" : "'<f2'";

    private static string Decode(ReadOnlySpan<byte> bytes, int major, string path)
    {
        if (major < 3)
        {
            return Encoding.Latin1.GetString(bytes);
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"The header of {path} is not valid UTF-8, which .npy version 3.0 requires: {e.Message}", e);
        }
    }

    private static (NpyDataType DataType, long Rows, long Columns) Validate(IReadOnlyList<KeyValuePair<string, object>> entries, string path)
    {
        object? descr = null, fortranOrder = null, shape = null;
        foreach (var (key, value) in entries)
        {
            switch (key)
            {
                case "descr":
                    descr = value;
                    break;
                case "fortran_order":
                    fortranOrder = value;
                    break;
                case "shape":
                    shape = value;
                    break;
                default:
                    throw new InvalidDataException($"The header of {path} has the key '{NpyDictionaryParser.Shorten(key)}'; an .npy header has exactly 'descr', 'fortran_order' and 'shape'.");
            }
        }

        var missing = new[] { ("descr", descr), ("fortran_order", fortranOrder), ("shape", shape) }.Where(e => e.Item2 is null).Select(e => $"'{e.Item1}'").ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidDataException($"The header of {path} has no {string.Join(" and no ", missing)}; an .npy header has exactly 'descr', 'fortran_order' and 'shape'.");
        }

        if (fortranOrder is not bool fortran)
        {
            throw new InvalidDataException($"The header of {path} has 'fortran_order': {NpyDictionaryParser.Shorten(NpyDictionaryParser.Describe(fortranOrder!))}; expected True or False.");
        }

        var dataType = ParseDescr(descr!, path);
        if (fortran)
        {
            throw new InvalidDataException($"{path} stores its array in Fortran (column-major) order; only C (row-major) order is supported.");
        }

        if (shape is not long[] dimensions)
        {
            throw new InvalidDataException($"The header of {path} has 'shape': {NpyDictionaryParser.Shorten(NpyDictionaryParser.Describe(shape!))}; expected a tuple of integers.");
        }

        if (dimensions.Length != 2)
        {
            throw new InvalidDataException($"{path} holds an array of shape {NpyDictionaryParser.Shorten(NpyDictionaryParser.Describe(dimensions))} ({dimensions.Length} {(dimensions.Length == 1 ? "dimension" : "dimensions")}); only 2-D arrays (rows, columns) are supported.");
        }

        var (rows, columns) = (dimensions[0], dimensions[1]);
        if (rows < 0 || columns < 0)
        {
            throw new InvalidDataException($"{path} declares shape ({rows}, {columns}); a dimension cannot be negative.");
        }

        if (columns > int.MaxValue)
        {
            throw new InvalidDataException($"{path} declares shape ({rows}, {columns}); a row holds at most {int.MaxValue} columns.");
        }

        if (columns > 0 && rows > long.MaxValue / columns / (dataType == NpyDataType.Float32 ? 4 : 2))
        {
            throw new InvalidDataException($"{path} declares shape ({rows}, {columns}), whose size in bytes overflows 64 bits.");
        }

        return (dataType, rows, columns);
    }

    private static NpyDataType ParseDescr(object descr, string path)
    {
        if (descr is not string text)
        {
            throw new InvalidDataException($"The header of {path} has 'descr': {NpyDictionaryParser.Shorten(NpyDictionaryParser.Describe(descr))}; expected a dtype string such as '<f4'.");
        }

        // '<' is little-endian and '=' the writing machine's order, which NumPy only writes for types without byte order
        // but which means little-endian on every machine .NET runs on; '>' is big-endian and '|' "not applicable".
        var littleEndian = text.Length > 0 && (text[0] == '<' || (text[0] == '=' && BitConverter.IsLittleEndian));
        var body = text.Length > 0 ? text[1..] : text;
        if (littleEndian && body is "f4" or "f2")
        {
            return body == "f4" ? NpyDataType.Float32 : NpyDataType.Float16;
        }

        if (text.Length > 0 && (text[0] == '>' || text[0] == '=') && body is "f4" or "f2")
        {
            throw new InvalidDataException($"{path} stores big-endian data (dtype '{text}'); only little-endian '<f4' and '<f2' are supported.");
        }

        if (body.StartsWith('O'))
        {
            throw new InvalidDataException($"{path} holds Python objects (dtype '{NpyDictionaryParser.Shorten(text)}'), which .npy stores pickled; only '<f4' (float32) and '<f2' (float16) arrays are supported.");
        }

        throw new InvalidDataException($"{path} has dtype '{NpyDictionaryParser.Shorten(text)}'; only '<f4' (float32) and '<f2' (float16) arrays are supported.");
    }
}
