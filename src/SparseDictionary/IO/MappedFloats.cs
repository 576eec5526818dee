using System.Numerics.Tensors;

namespace SparseDictionary.IO;

/// <summary>
/// Reads floating-point values stored little-endian in a mapped file into float32, converting half, bfloat16 and double
/// precision on the way. The readers of every file format use it for their row reads, so a row is read straight from the
/// mapping into the caller's buffer without an intermediate copy.
/// </summary>
internal static class MappedFloats
{
    /// <summary>Bytes per stored value of <paramref name="type"/>, for the floating-point types this class converts.</summary>
    public static int ElementSize(SafeTensorsDataType type) => type switch
    {
        SafeTensorsDataType.F16 or SafeTensorsDataType.BF16 => 2,
        SafeTensorsDataType.F32 => 4,
        SafeTensorsDataType.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Expected F16, BF16, F32 or F64."),
    };

    /// <summary>
    /// Converts destination.Length values of <paramref name="type"/> starting at byte <paramref name="offset"/> of
    /// <paramref name="file"/> into <paramref name="destination"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The values are not inside the file.</exception>
    public static void Read(MappedFile file, long offset, SafeTensorsDataType type, Span<float> destination)
    {
        // The values are little-endian in every format read here and are read as they are: no big-endian .NET target
        // exists today (one would need a byte swap here).
        var count = destination.Length;
        switch (type)
        {
            case SafeTensorsDataType.F32:
                file.Elements<float>(offset, count).CopyTo(destination);
                break;
            case SafeTensorsDataType.F16:
                TensorPrimitives.ConvertToSingle(file.Elements<Half>(offset, count), destination);
                break;
            case SafeTensorsDataType.BF16:
                var bits = file.Elements<ushort>(offset, count);
                for (var i = 0; i < count; i++)
                {
                    destination[i] = BitConverter.UInt32BitsToSingle((uint)bits[i] << 16);
                }

                break;
            case SafeTensorsDataType.F64:
                var doubles = file.Elements<double>(offset, count);
                for (var i = 0; i < count; i++)
                {
                    destination[i] = (float)doubles[i];
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Expected F16, BF16, F32 or F64.");
        }
    }
}
