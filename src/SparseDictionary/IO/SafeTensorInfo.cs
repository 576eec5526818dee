namespace SparseDictionary.IO;

/// <summary>One tensor entry of a safetensors header: its name, element type, shape and byte range.</summary>
/// <param name="Name">The tensor's name (the header key).</param>
/// <param name="DataType">The element type.</param>
/// <param name="Shape">The shape, outermost dimension first (row-major); empty for a scalar.</param>
/// <param name="DataStart">Start of the tensor's bytes, relative to the byte buffer that follows the header.</param>
/// <param name="DataEnd">End (exclusive) of the tensor's bytes, relative to the byte buffer.</param>
public sealed record SafeTensorInfo(string Name, SafeTensorsDataType DataType, IReadOnlyList<long> Shape, long DataStart, long DataEnd)
{
    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, size) => product * size);

    /// <summary>The shape as text, e.g. "[512, 256]".</summary>
    public string ShapeText => $"[{string.Join(", ", Shape)}]";

    /// <summary>Bytes per element of <paramref name="type"/>.</summary>
    /// <param name="type">An element type.</param>
    /// <returns>1, 2, 4 or 8.</returns>
    public static int ElementSize(SafeTensorsDataType type) => type switch
    {
        SafeTensorsDataType.BOOL or SafeTensorsDataType.U8 or SafeTensorsDataType.I8 => 1,
        SafeTensorsDataType.U16 or SafeTensorsDataType.I16 or SafeTensorsDataType.F16 or SafeTensorsDataType.BF16 => 2,
        SafeTensorsDataType.U32 or SafeTensorsDataType.I32 or SafeTensorsDataType.F32 => 4,
        SafeTensorsDataType.U64 or SafeTensorsDataType.I64 or SafeTensorsDataType.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a safetensors element type."),
    };
}
