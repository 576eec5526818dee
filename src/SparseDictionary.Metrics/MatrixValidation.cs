
namespace SparseDictionary.Metrics;

/// <summary>Argument checks shared by the metrics.</summary>
internal static class MatrixValidation
{
    /// <summary>Throws unless every entry of <paramref name="m"/> is finite; the message names the entry and its value.</summary>
    public static void ValidateFinite(Matrix m, string name)
    {
        var position = RowOperations.FirstNonFinite(m.Span);
        if (position >= 0)
        {
            throw new ArgumentException(
                $"Entry ({position / m.Columns}, {position % m.Columns}) is {m.Span[position]}; NaN or infinite entries are not allowed, every entry must be finite.",
                name);
        }
    }

    /// <summary><see cref="RowOperations.NormalizedRows"/>, with a failure reported under the caller's parameter name.</summary>
    public static float[] NormalizedRows(Matrix m, string name)
    {
        try
        {
            return RowOperations.NormalizedRows(m);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(e.Message[..^(e.ParamName is null ? 0 : $" (Parameter '{e.ParamName}')".Length)], name, e);
        }
    }
}
