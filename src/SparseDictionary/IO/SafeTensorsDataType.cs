namespace SparseDictionary.IO;

/// <summary>
/// Element types of the safetensors format (huggingface/safetensors), named as in a file's header ("F32", "BF16", ...).
/// </summary>
/// <remarks>
/// Every type is recognised when a file is read, so that its offsets can be checked; <see cref="SafeTensorsFile"/>
/// converts <see cref="F32"/>, <see cref="F16"/>, <see cref="BF16"/> and <see cref="F64"/> tensors to float32 and reads
/// <see cref="I64"/> and <see cref="I32"/> tensors as integers. <see cref="SafeTensorsWriter"/> writes F32, BF16, I64 and I32.
/// </remarks>
public enum SafeTensorsDataType
{
    /// <summary>Boolean, one byte.</summary>
    BOOL,

    /// <summary>Unsigned 8-bit integer.</summary>
    U8,

    /// <summary>Signed 8-bit integer.</summary>
    I8,

    /// <summary>Unsigned 16-bit integer.</summary>
    U16,

    /// <summary>Signed 16-bit integer, little-endian.</summary>
    I16,

    /// <summary>IEEE 754 half precision, little-endian.</summary>
    F16,

    /// <summary>bfloat16 (the upper 16 bits of a float32), little-endian.</summary>
    BF16,

    /// <summary>Unsigned 32-bit integer, little-endian.</summary>
    U32,

    /// <summary>Signed 32-bit integer, little-endian.</summary>
    I32,

    /// <summary>IEEE 754 single precision, little-endian.</summary>
    F32,

    /// <summary>Unsigned 64-bit integer, little-endian.</summary>
    U64,

    /// <summary>Signed 64-bit integer, little-endian.</summary>
    I64,

    /// <summary>IEEE 754 double precision, little-endian.</summary>
    F64,
}
