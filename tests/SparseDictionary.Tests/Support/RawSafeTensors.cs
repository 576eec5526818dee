using System.Buffers.Binary;
using System.Text;

namespace SparseDictionary.Tests.Support;

/// <summary>Builds safetensors bytes by hand (header text and buffer given verbatim), for files the writer cannot or must not produce.</summary>
internal static class RawSafeTensors
{
    /// <summary>The 8-byte length, <paramref name="header"/> padded with spaces to a multiple of 8 bytes, then <paramref name="buffer"/>.</summary>
    public static byte[] Build(string header, ReadOnlySpan<byte> buffer, bool pad = true)
    {
        var text = Encoding.UTF8.GetBytes(header);
        var length = pad ? (text.Length + 7) & ~7 : text.Length;
        var bytes = new byte[8 + length + buffer.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)length);
        text.CopyTo(bytes, 8);
        bytes.AsSpan(8 + text.Length, length - text.Length).Fill((byte)' ');
        buffer.CopyTo(bytes.AsSpan(8 + length));
        return bytes;
    }

    /// <summary>Raw header bytes (not necessarily UTF-8) after a declared length, then the buffer.</summary>
    public static byte[] Build(ulong declaredLength, ReadOnlySpan<byte> header, ReadOnlySpan<byte> buffer)
    {
        var bytes = new byte[8 + header.Length + buffer.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength);
        header.CopyTo(bytes.AsSpan(8));
        buffer.CopyTo(bytes.AsSpan(8 + header.Length));
        return bytes;
    }

    /// <summary>A valid file holding the given tensors (raw bytes, any dtype name), contiguous in the order given.</summary>
    public static byte[] Build(params (string Name, string DataType, long[] Shape, byte[] Data)[] tensors)
    {
        var header = new StringBuilder("{");
        var offset = 0L;
        var buffer = new List<byte>();
        foreach (var (name, dataType, shape, data) in tensors)
        {
            if (header.Length > 1)
            {
                header.Append(',');
            }

            header.Append(System.Text.Json.JsonSerializer.Serialize(name))
                .Append($":{{\"dtype\":\"{dataType}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offset},{offset + data.Length}]}}");
            offset += data.Length;
            buffer.AddRange(data);
        }

        return Build(header.Append('}').ToString(), buffer.ToArray());
    }

    /// <summary>Little-endian IEEE half-precision bytes of <paramref name="values"/> (each rounded to the nearest half).</summary>
    public static byte[] Halves(IEnumerable<float> values) => UInt16s(values.Select(v => BitConverter.HalfToUInt16Bits((Half)v)).ToArray());

    /// <summary>Little-endian bytes of 16-bit patterns (F16, BF16).</summary>
    public static byte[] UInt16s(params ushort[] values)
    {
        var bytes = new byte[2 * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), values[i]);
        }

        return bytes;
    }

    /// <summary>Little-endian bytes of float32 values.</summary>
    public static byte[] Singles(params float[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }

        return bytes;
    }

    /// <summary>Little-endian bytes of float64 values.</summary>
    public static byte[] Doubles(params double[] values)
    {
        var bytes = new byte[8 * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), values[i]);
        }

        return bytes;
    }
}
