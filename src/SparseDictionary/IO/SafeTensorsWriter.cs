using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace SparseDictionary.IO;

/// <summary>
/// Collects tensors and metadata and writes them as one safetensors file (huggingface/safetensors): the 8-byte
/// little-endian header length, the JSON header padded with spaces so that the byte buffer starts on an 8-byte
/// boundary, then each tensor's bytes in the order they were added, without holes.
/// </summary>
/// <remarks>
/// Float tensors are written as F32, or BF16 on request (rounded to nearest, ties to even; NaN stays NaN); integer
/// tensors as I64 or I32. <see cref="Save"/> writes atomically: a temporary file in the same folder, flushed to the disk,
/// then renamed over the target, so a reader never sees half a file.
/// </remarks>
public sealed class SafeTensorsWriter
{
    private readonly List<Entry> _entries = [];
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>Adds a float tensor.</summary>
    /// <param name="name">A name not used yet, not "__metadata__".</param>
    /// <param name="values">The values, row-major; copied now.</param>
    /// <param name="shape">The shape; its product must equal the number of values.</param>
    /// <param name="dataType"><see cref="SafeTensorsDataType.F32"/> (default) or <see cref="SafeTensorsDataType.BF16"/>.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException">The name is taken, or the shape does not match the values.</exception>
    public SafeTensorsWriter Add(string name, ReadOnlySpan<float> values, ReadOnlySpan<long> shape, SafeTensorsDataType dataType = SafeTensorsDataType.F32)
    {
        byte[] bytes;
        if (dataType == SafeTensorsDataType.F32)
        {
            bytes = MemoryMarshal.AsBytes(values).ToArray();
        }
        else if (dataType == SafeTensorsDataType.BF16)
        {
            bytes = new byte[values.Length * 2];
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), ToBFloat16(values[i]));
            }
        }
        else
        {
            throw new ArgumentOutOfRangeException(nameof(dataType), dataType, "Float tensors are written as F32 or BF16.");
        }

        return AddEntry(name, dataType, shape, values.Length, bytes);
    }

    /// <summary>Adds a 64-bit integer tensor (I64).</summary>
    /// <param name="name">A name not used yet.</param>
    /// <param name="values">The values, row-major; copied now.</param>
    /// <param name="shape">The shape; its product must equal the number of values.</param>
    /// <returns>This writer.</returns>
    public SafeTensorsWriter Add(string name, ReadOnlySpan<long> values, ReadOnlySpan<long> shape) =>
        AddEntry(name, SafeTensorsDataType.I64, shape, values.Length, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>Adds a 32-bit integer tensor (I32).</summary>
    /// <param name="name">A name not used yet.</param>
    /// <param name="values">The values, row-major; copied now.</param>
    /// <param name="shape">The shape; its product must equal the number of values.</param>
    /// <returns>This writer.</returns>
    public SafeTensorsWriter Add(string name, ReadOnlySpan<int> values, ReadOnlySpan<long> shape) =>
        AddEntry(name, SafeTensorsDataType.I32, shape, values.Length, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>Sets a <c>__metadata__</c> entry.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    public SafeTensorsWriter SetMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata[key] = value;
        return this;
    }

    /// <summary>Writes the file atomically (temporary file, flush to disk, rename).</summary>
    /// <param name="path">The target; its folder is created when missing, an existing file is replaced.</param>
    /// <exception cref="IOException">The file cannot be written; the message names the path.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            AtomicFile.Write(path, WriteTo);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write {path}: {e.Message}", e);
        }
    }

    /// <summary>Writes the file's bytes to <paramref name="stream"/>.</summary>
    /// <param name="stream">A writable stream.</param>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = HeaderBytes();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var entry in _entries)
        {
            stream.Write(entry.Bytes);
        }
    }

    /// <summary>
    /// BF16 of <paramref name="value"/>: the upper 16 bits of its float32 pattern rounded to nearest, ties to even
    /// (as PyTorch converts); a NaN keeps a quiet NaN pattern.
    /// </summary>
    internal static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x0040);
        }

        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    private SafeTensorsWriter AddEntry(string name, SafeTensorsDataType type, ReadOnlySpan<long> shape, int count, byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == "__metadata__" || _entries.Any(e => e.Name == name))
        {
            throw new ArgumentException($"The tensor name '{name}' is already used (or reserved).", nameof(name));
        }

        var product = 1L;
        foreach (var size in shape)
        {
            if (size < 0)
            {
                throw new ArgumentException($"Tensor '{name}' has shape [{string.Join(", ", shape.ToArray())}]; sizes must be non-negative.", nameof(shape));
            }

            product = checked(product * size);
        }

        if (product != count)
        {
            throw new ArgumentException($"Tensor '{name}' has shape [{string.Join(", ", shape.ToArray())}] ({product} elements) but {count} values.", nameof(shape));
        }

        _entries.Add(new Entry(name, type, shape.ToArray(), bytes));
        return this;
    }

    private byte[] HeaderBytes()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in _metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            var offset = 0L;
            foreach (var entry in _entries)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.Type.ToString());
                json.WriteStartArray("shape");
                foreach (var size in entry.Shape)
                {
                    json.WriteNumberValue(size);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + entry.Bytes.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += entry.Bytes.Length;
            }

            json.WriteEndObject();
        }

        // Pad with spaces so that the buffer (after the 8-byte length and the header) starts on an 8-byte boundary.
        var length = (int)buffer.Length;
        var padded = (length + 7) & ~7;
        var header = new byte[padded];
        buffer.GetBuffer().AsSpan(0, length).CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    private sealed record Entry(string Name, SafeTensorsDataType Type, long[] Shape, byte[] Bytes);
}
