using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;

namespace SparseDictionary.IO;

/// <summary>
/// A safetensors file opened for reading (format: huggingface/safetensors): an 8-byte little-endian header length N,
/// N bytes of UTF-8 JSON mapping each tensor name to its <c>dtype</c>, <c>shape</c> and <c>data_offsets</c> (plus an
/// optional <c>__metadata__</c> map of strings), then the byte buffer holding every tensor, row-major, little-endian.
/// </summary>
/// <remarks>
/// <para>The file is memory-mapped: opening it reads only the header, and <see cref="GetMatrix"/> views an F32 tensor
/// in place, without copying it into managed memory. F16, BF16 and F64 tensors are converted to float32 on read.</para>
/// <para>The file is treated as hostile. Opening it checks everything the specification requires before any tensor is
/// read: the header length against the file's length and a 100,000,000-byte cap, the JSON (valid UTF-8, a single
/// object, no repeated key at any level, string metadata), every dtype, every shape (non-negative, no overflow), every byte range (inside the
/// buffer, equal to shape x element size), and that the ranges cover the buffer exactly, without overlap or hole. Any
/// failure throws <see cref="InvalidDataException"/> naming the path and the problem; nothing is allocated because a
/// header claims a size.</para>
/// <para>Views returned by <see cref="GetMatrix"/> for F32 tensors read the mapping and must not be used after
/// <see cref="Dispose"/>. Writes through them change a private copy, never the file.</para>
/// </remarks>
public sealed class SafeTensorsFile : IDisposable
{
    /// <summary>The largest header accepted, in bytes (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>Elements converted per chunk: 2^27 of 8 bytes is 1 GiB, within one span's reach.</summary>
    private const int ChunkElements = 1 << 27;

    private readonly MappedFile _file;
    private readonly Dictionary<string, SafeTensorInfo> _byName;
    private readonly long _bufferStart;

    private SafeTensorsFile(MappedFile file, IReadOnlyList<SafeTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata, long bufferStart)
    {
        _file = file;
        Tensors = tensors;
        Metadata = metadata;
        _bufferStart = bufferStart;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file's path.</summary>
    public string Path => _file.Path;

    /// <summary>The tensors, in the order of their data in the file.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> entries (empty when the header has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens and validates <paramref name="path"/>.</summary>
    /// <param name="path">A safetensors file.</param>
    /// <returns>The open file; dispose it to unmap it.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file breaks the format; the message names the path and the problem.</exception>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = new MappedFile(path);
        try
        {
            var (tensors, metadata, bufferStart) = ParseHeader(file);
            return new SafeTensorsFile(file, tensors, metadata, bufferStart);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Whether the file has a tensor named <paramref name="name"/>.</summary>
    /// <param name="name">A tensor name.</param>
    /// <returns>True when the header lists it.</returns>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of tensor <paramref name="name"/>.</summary>
    /// <param name="name">A tensor name.</param>
    /// <returns>Its dtype, shape and offsets.</returns>
    /// <exception cref="KeyNotFoundException">No such tensor; the message names the file and the tensors it has.</exception>
    public SafeTensorInfo GetInfo(string name) =>
        _byName.TryGetValue(name, out var info)
            ? info
            : throw new KeyNotFoundException($"{Path} has no tensor '{name}'; it has {string.Join(", ", _byName.Keys.Select(k => $"'{k}'"))}.");

    /// <summary>
    /// Tensor <paramref name="name"/> as a matrix of float32: a 2-D tensor [rows, columns] as it is, a 1-D tensor [n] as
    /// one row. An F32 tensor is a view of the mapped file (no copy); F16, BF16 and F64 are converted into a new matrix.
    /// </summary>
    /// <param name="name">A tensor name.</param>
    /// <returns>The matrix; an F32 view is valid until the file is disposed.</returns>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="InvalidDataException">The tensor is not 1-D or 2-D, not a floating-point type, or larger than one buffer.</exception>
    public Matrix GetMatrix(string name)
    {
        var info = GetInfo(name);
        var (rows, columns) = info.Shape.Count switch
        {
            1 => (1L, info.Shape[0]),
            2 => (info.Shape[0], info.Shape[1]),
            _ => throw new InvalidDataException($"Tensor '{name}' of {Path} has shape {info.ShapeText}; a matrix needs 1 or 2 dimensions."),
        };
        var count = CheckedCount(info);
        if (rows > int.MaxValue || columns > int.MaxValue)
        {
            throw new InvalidDataException($"Tensor '{name}' of {Path} has shape {info.ShapeText}; a matrix holds at most {int.MaxValue} rows and columns.");
        }

        if (info.DataType == SafeTensorsDataType.F32)
        {
            return Matrix.Wrap(_file.FloatView(_bufferStart + info.DataStart, count), (int)rows, (int)columns);
        }

        var values = new float[CheckedCount(ExpectFloat(name))];
        ReadSingle(name, values);
        return Matrix.Wrap(values, (int)rows, (int)columns);
    }

    /// <summary>Tensor <paramref name="name"/> converted to a new float32 array (any shape, row-major).</summary>
    /// <param name="name">A tensor name.</param>
    /// <returns>The values.</returns>
    /// <exception cref="InvalidDataException">The tensor is not F32, F16, BF16 or F64, or larger than one array.</exception>
    public float[] ReadSingle(string name)
    {
        var values = new float[CheckedCount(ExpectFloat(name))];
        ReadSingle(name, values);
        return values;
    }

    /// <summary>Tensor <paramref name="name"/> converted to float32 into <paramref name="destination"/>.</summary>
    /// <param name="name">A tensor name.</param>
    /// <param name="destination">Exactly as long as the tensor's element count.</param>
    /// <exception cref="ArgumentException">The destination's length differs from the element count.</exception>
    /// <exception cref="InvalidDataException">The tensor is not F32, F16, BF16 or F64.</exception>
    public void ReadSingle(string name, Span<float> destination)
    {
        var info = GetInfo(name);
        var count = CheckedCount(info);
        if (destination.Length != count)
        {
            throw new ArgumentException($"Tensor '{name}' of {Path} has {count} elements but the destination holds {destination.Length}.", nameof(destination));
        }

        ExpectFloat(name);
        var size = SafeTensorInfo.ElementSize(info.DataType);

        // In chunks: a tensor may hold more bytes than one span can address (e.g. 2^30 F32 values).
        for (long start = 0; start < count; start += ChunkElements)
        {
            var length = (int)Math.Min(ChunkElements, count - start);
            var bytes = _file.Bytes(_bufferStart + info.DataStart + (start * size), length * size);
            var chunk = destination.Slice((int)start, length);
            switch (info.DataType)
            {
                case SafeTensorsDataType.F32:
                    CopyLittleEndian(bytes, MemoryMarshal.AsBytes(chunk));
                    break;
                case SafeTensorsDataType.F16:
                    for (var i = 0; i < length; i++)
                    {
                        chunk[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]));
                    }

                    break;
                case SafeTensorsDataType.BF16:
                    for (var i = 0; i < length; i++)
                    {
                        chunk[i] = BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16);
                    }

                    break;
                default:
                    for (var i = 0; i < length; i++)
                    {
                        chunk[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                    }

                    break;
            }
        }
    }

    /// <summary>Tensor <paramref name="name"/>, of type I64, as a new array.</summary>
    /// <param name="name">A tensor name.</param>
    /// <returns>The values.</returns>
    /// <exception cref="InvalidDataException">The tensor is not I64.</exception>
    public long[] ReadInt64(string name)
    {
        var info = ExpectType(name, SafeTensorsDataType.I64);
        var values = new long[CheckedCount(info)];
        CopyElements(info, values.AsSpan());
        if (!BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(values, values);
        }

        return values;
    }

    /// <summary>Tensor <paramref name="name"/>, of type I32, as a new array.</summary>
    /// <param name="name">A tensor name.</param>
    /// <returns>The values.</returns>
    /// <exception cref="InvalidDataException">The tensor is not I32.</exception>
    public int[] ReadInt32(string name)
    {
        var info = ExpectType(name, SafeTensorsDataType.I32);
        var values = new int[CheckedCount(info)];
        CopyElements(info, values.AsSpan());
        if (!BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(values, values);
        }

        return values;
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    /// <summary>The mapped file, for readers that copy parts of a tensor straight out of it.</summary>
    internal MappedFile Mapping => _file;

    /// <summary>The byte offset in the file of the first element of <paramref name="info"/>.</summary>
    internal long FileOffset(SafeTensorInfo info) => _bufferStart + info.DataStart;

    private SafeTensorInfo ExpectFloat(string name)
    {
        var info = GetInfo(name);
        return info.DataType is SafeTensorsDataType.F32 or SafeTensorsDataType.F16 or SafeTensorsDataType.BF16 or SafeTensorsDataType.F64
            ? info
            : throw new InvalidDataException($"Tensor '{name}' of {Path} is {info.DataType}; expected a floating-point type (F32, F16, BF16 or F64).");
    }

    private SafeTensorInfo ExpectType(string name, SafeTensorsDataType type)
    {
        var info = GetInfo(name);
        return info.DataType == type ? info : throw new InvalidDataException($"Tensor '{name}' of {Path} is {info.DataType}; expected {type}.");
    }

    private int CheckedCount(SafeTensorInfo info)
    {
        var count = info.ElementCount;
        return count <= Array.MaxLength
            ? (int)count
            : throw new InvalidDataException($"Tensor '{info.Name}' of {Path} has {count} elements; one buffer holds at most {Array.MaxLength}.");
    }

    /// <summary>Copies the tensor's elements (exactly destination.Length of them) in chunks that one span of bytes can address.</summary>
    private void CopyElements<T>(SafeTensorInfo info, Span<T> destination)
        where T : unmanaged
    {
        var size = Unsafe.SizeOf<T>();
        for (long start = 0; start < destination.Length; start += ChunkElements)
        {
            var length = (int)Math.Min(ChunkElements, destination.Length - start);
            CopyLittleEndian(_file.Bytes(_bufferStart + info.DataStart + (start * size), length * size), MemoryMarshal.AsBytes(destination.Slice((int)start, length)));
        }
    }

    private static void CopyLittleEndian(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        // Values are little-endian in the file; on a big-endian machine the integer readers swap afterwards and the float
        // readers would need the same (no big-endian .NET target exists today).
        source.CopyTo(destination);
    }

    private static (SafeTensorInfo[] Tensors, Dictionary<string, string> Metadata, long BufferStart) ParseHeader(MappedFile file)
    {
        var path = file.Path;
        if (file.Length < 8)
        {
            throw new InvalidDataException($"{path} is {file.Length} bytes long; a safetensors file starts with an 8-byte header length.");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file.Bytes(0, 8));
        if (headerLength > MaxHeaderBytes)
        {
            throw new InvalidDataException($"{path} declares a header of {headerLength} bytes; at most {MaxHeaderBytes} are accepted.");
        }

        if ((long)headerLength > file.Length - 8)
        {
            throw new InvalidDataException($"{path} declares a header of {headerLength} bytes but only {file.Length - 8} follow the length field.");
        }

        var header = file.Bytes(8, (int)headerLength);
        if (header.Length == 0 || header[0] != (byte)'{')
        {
            throw new InvalidDataException($"The header of {path} does not start with '{{'; a safetensors header is a JSON object.");
        }

        if (!Utf8.IsValid(header))
        {
            throw new InvalidDataException($"The header of {path} is not valid UTF-8; a safetensors header is UTF-8 JSON.");
        }

        var bufferStart = 8 + (long)headerLength;
        var bufferLength = file.Length - bufferStart;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The header of {path} is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            JsonStrings.CheckEscapes(header, 8, $"The header of {path}");
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"The header of {path} is a JSON {document.RootElement.ValueKind}; expected an object.");
            }

            var tensors = new List<SafeTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw new InvalidDataException($"The header of {path} names '{property.Name}' twice.");
                }

                if (property.Name == MetadataKey)
                {
                    ReadMetadata(path, property.Value, metadata);
                }
                else
                {
                    tensors.Add(ReadTensor(path, property.Name, property.Value, bufferLength));
                }
            }

            CheckCoverage(path, tensors, bufferLength);
            return ([.. tensors.OrderBy(t => t.DataStart).ThenBy(t => t.DataEnd)], metadata, bufferStart);
        }
    }

    private static void ReadMetadata(string path, JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"The {MetadataKey} of {path} is a JSON {element.ValueKind}; expected an object of strings.");
        }

        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"Metadata '{entry.Name}' of {path} is a JSON {entry.Value.ValueKind}; metadata values must be strings.");
            }

            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
            {
                throw new InvalidDataException($"The {MetadataKey} of {path} names '{entry.Name}' twice.");
            }
        }
    }

    private static SafeTensorInfo ReadTensor(string path, string name, JsonElement element, long bufferLength)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"Tensor '{name}' of {path} is a JSON {element.ValueKind}; expected an object with dtype, shape and data_offsets.");
        }

        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in element.EnumerateObject())
        {
            if (!fields.Add(field.Name))
            {
                throw new InvalidDataException($"Tensor '{name}' of {path} names '{field.Name}' twice.");
            }
        }

        if (!element.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw new InvalidDataException($"Tensor '{name}' of {path} has no dtype string.");
        }

        var dtypeText = dtypeElement.GetString()!;
        if (!Enum.TryParse<SafeTensorsDataType>(dtypeText, ignoreCase: false, out var dtype) || !Enum.IsDefined(dtype) || dtypeText != dtype.ToString())
        {
            throw new InvalidDataException($"Tensor '{name}' of {path} has dtype '{dtypeText}'; expected one of {string.Join(", ", Enum.GetNames<SafeTensorsDataType>())}.");
        }

        var shape = ReadIntegers(path, name, element, "shape");
        var offsets = ReadIntegers(path, name, element, "data_offsets");
        if (offsets.Length != 2)
        {
            throw new InvalidDataException($"Tensor '{name}' of {path} has {offsets.Length} data_offsets; expected [begin, end].");
        }

        var (begin, end) = (offsets[0], offsets[1]);
        if (begin > end || end > bufferLength)
        {
            throw new InvalidDataException($"Tensor '{name}' of {path} has data_offsets [{begin}, {end}]; they must satisfy begin <= end <= {bufferLength} (the byte buffer's length).");
        }

        long bytes;
        try
        {
            var count = 1L;
            foreach (var size in shape)
            {
                count = checked(count * size);
            }

            bytes = checked(count * SafeTensorInfo.ElementSize(dtype));
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"Tensor '{name}' of {path} has shape [{string.Join(", ", shape)}], whose size overflows 64 bits.");
        }

        if (bytes != end - begin)
        {
            throw new InvalidDataException($"Tensor '{name}' of {path} is {dtype} [{string.Join(", ", shape)}] ({bytes} bytes) but its data_offsets [{begin}, {end}] span {end - begin} bytes.");
        }

        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] ReadIntegers(string path, string name, JsonElement element, string field)
    {
        if (!element.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"Tensor '{name}' of {path} has no {field} array.");
        }

        var values = new long[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var value) || value < 0)
            {
                throw new InvalidDataException($"Tensor '{name}' of {path} has {field} entry {item.GetRawText()}; expected a non-negative integer.");
            }

            values[i++] = value;
        }

        return values;
    }

    private static void CheckCoverage(string path, List<SafeTensorInfo> tensors, long bufferLength)
    {
        var position = 0L;
        SafeTensorInfo? previous = null;
        foreach (var tensor in tensors.OrderBy(t => t.DataStart).ThenBy(t => t.DataEnd))
        {
            if (tensor.DataStart < position)
            {
                throw new InvalidDataException($"Tensors '{previous!.Name}' and '{tensor.Name}' of {path} overlap (bytes [{previous.DataStart}, {previous.DataEnd}) and [{tensor.DataStart}, {tensor.DataEnd})).");
            }

            if (tensor.DataStart > position)
            {
                throw new InvalidDataException($"Bytes [{position}, {tensor.DataStart}) of the buffer of {path} belong to no tensor; the format allows no hole.");
            }

            position = tensor.DataEnd;
            previous = tensor;
        }

        if (position != bufferLength)
        {
            throw new InvalidDataException($"The tensors of {path} end at byte {position} of the buffer but the file holds {bufferLength} buffer bytes; the format allows no trailing data.");
        }
    }
}
