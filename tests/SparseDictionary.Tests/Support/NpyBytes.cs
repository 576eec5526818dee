using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace SparseDictionary.Tests.Support;

/// <summary>Builds .npy files byte by byte, independently of the library's writer.</summary>
internal static class NpyBytes
{
    public static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>
    /// The magic string, the version bytes, the header length field (2 bytes for version 1, 4 otherwise; by default the
    /// length of <paramref name="header"/>), the header text exactly as given (UTF-8 for version 3, latin1 before), the data.
    /// </summary>
    public static byte[] Raw(int major, int minor, string header, byte[] data, long? headerLength = null)
    {
        var text = major >= 3 ? Encoding.UTF8.GetBytes(header) : Encoding.Latin1.GetBytes(header);
        var lengthBytes = major == 1 ? 2 : 4;
        var bytes = new List<byte>(Magic) { (byte)major, (byte)minor };
        var field = new byte[lengthBytes];
        var length = headerLength ?? text.Length;
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(field, (ushort)length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(field, (uint)length);
        }

        bytes.AddRange(field);
        bytes.AddRange(text);
        bytes.AddRange(data);
        return [.. bytes];
    }

    /// <summary>
    /// A file whose header is <paramref name="dict"/> padded with spaces and ended by a newline so that the data starts
    /// on a multiple of <paramref name="alignment"/> bytes (64 as NumPy writes, 16 as old files; 1 for no padding).
    /// </summary>
    public static byte[] Padded(int major, string dict, byte[] data, int alignment = 64)
    {
        var preamble = major == 1 ? 10 : 12;
        var textLength = (major >= 3 ? Encoding.UTF8.GetByteCount(dict) : dict.Length) + 1;
        var padding = (alignment - ((preamble + textLength) % alignment)) % alignment;
        return Raw(major, 0, dict + new string(' ', padding) + "\n", data);
    }

    /// <summary>The standard header dict of a (rows, columns) array of <paramref name="descr"/>, as NumPy prints it.</summary>
    public static string Dict(long rows, long columns, string descr = "<f4") =>
        $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows}, {columns}), }}";

    public static byte[] Floats(params float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static byte[] Halves(params float[] values) => MemoryMarshal.AsBytes(values.Select(v => (Half)v).ToArray().AsSpan()).ToArray();

    /// <summary>Values 0, 1, 2, ... scaled, so that every element of a test file differs.</summary>
    public static float[] Numbered(int count, float scale = 0.5f) => [.. Enumerable.Range(0, count).Select(i => (i * scale) - 3f)];
}
