
namespace SparseDictionary.IO;

/// <summary>
/// Reading the weights file of an SAE folder: the file must exist, hold exactly the tensors a layout names, each of a
/// floating-point type (F32, F16, BF16 or F64, converted to float32) and of the expected shape. Every failure throws
/// <see cref="InvalidDataException"/> naming the file, the tensor and what was expected.
/// </summary>
internal static class LayoutTensors
{
    /// <summary>Opens <paramref name="path"/>; a missing file is an <see cref="InvalidDataException"/> like any other defect of the folder.</summary>
    /// <param name="path">A safetensors file.</param>
    /// <returns>The open file.</returns>
    public static SafeTensorsFile Open(string path)
    {
        try
        {
            return SafeTensorsFile.Open(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InvalidDataException($"{path} does not exist.", e);
        }
    }

    /// <summary>Throws unless every tensor of <paramref name="file"/> is one of <paramref name="known"/>.</summary>
    /// <param name="file">The weights file.</param>
    /// <param name="known">The names the layout defines.</param>
    /// <param name="explain">Says why an unknown tensor matters, given its name (e.g. which configuration adds it).</param>
    public static void CheckNames(SafeTensorsFile file, IReadOnlyCollection<string> known, Func<string, string> explain)
    {
        var unknown = file.Tensors.Select(t => t.Name).Where(n => !known.Contains(n)).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidDataException(
                $"{file.Path} holds tensor {string.Join(", ", unknown.Select(n => $"'{n}'"))} besides {string.Join(", ", known.Select(n => $"'{n}'"))}; {explain(unknown[0])}");
        }
    }

    /// <summary>
    /// Tensor <paramref name="name"/> as float32, checked against <paramref name="shape"/>: a view of the mapping for F32
    /// (valid while the file is open), a converted copy for F16, BF16 and F64. The matrix has one row for a 1-D shape.
    /// </summary>
    /// <param name="file">The weights file.</param>
    /// <param name="name">The tensor.</param>
    /// <param name="shape">The expected shape, 1 or 2 dimensions, each at least 1.</param>
    /// <returns>The values.</returns>
    public static Matrix Read(SafeTensorsFile file, string name, params long[] shape)
    {
        if (!file.Contains(name))
        {
            var present = file.Tensors.Count == 0 ? "none" : string.Join(", ", file.Tensors.Select(t => $"'{t.Name}'"));
            throw new InvalidDataException($"{file.Path} has no tensor '{name}' (expected shape {ShapeText(shape)}); the tensors present are {present}.");
        }

        var info = file.GetInfo(name);
        if (info.DataType is not (SafeTensorsDataType.F32 or SafeTensorsDataType.F16 or SafeTensorsDataType.BF16 or SafeTensorsDataType.F64))
        {
            throw new InvalidDataException($"Tensor '{name}' of {file.Path} is {info.DataType}; expected a floating-point type (F32, F16, BF16 or F64).");
        }

        if (!info.Shape.SequenceEqual(shape))
        {
            var transposed = shape.Length == 2 && shape[0] != shape[1] && info.Shape.SequenceEqual(Enumerable.Reverse(shape))
                ? " (the transpose of the expected shape)"
                : string.Empty;
            throw new InvalidDataException($"Tensor '{name}' of {file.Path} has shape {info.ShapeText}{transposed}; expected {ShapeText(shape)}.");
        }

        return file.GetMatrix(name);
    }

    /// <summary>The transpose of a rows x columns row-major matrix, as a new columns x rows array (blocked for the cache).</summary>
    /// <param name="source">The matrix.</param>
    /// <returns>The transpose, row-major.</returns>
    public static float[] Transpose(Matrix source)
    {
        const int Block = 32;
        var (rows, columns) = (source.Rows, source.Columns);
        var input = source.Span;
        var output = new float[input.Length];
        for (var r0 = 0; r0 < rows; r0 += Block)
        {
            var r1 = Math.Min(rows, r0 + Block);
            for (var c0 = 0; c0 < columns; c0 += Block)
            {
                var c1 = Math.Min(columns, c0 + Block);
                for (var r = r0; r < r1; r++)
                {
                    for (var c = c0; c < c1; c++)
                    {
                        output[(c * rows) + r] = input[(r * columns) + c];
                    }
                }
            }
        }

        return output;
    }

    private static string ShapeText(long[] shape) => $"[{string.Join(", ", shape)}]";
}
