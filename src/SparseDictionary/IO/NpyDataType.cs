namespace SparseDictionary.IO;

/// <summary>The element types <see cref="NpyFile"/> reads: the little-endian IEEE 754 floats of a NumPy array.</summary>
public enum NpyDataType
{
    /// <summary>Single precision, NumPy dtype <c>'&lt;f4'</c> (float32); read in place, without conversion.</summary>
    Float32,

    /// <summary>Half precision, NumPy dtype <c>'&lt;f2'</c> (float16); converted to float32 on read.</summary>
    Float16,
}
