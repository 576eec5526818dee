using SparseDictionary.Kernels;

namespace SparseDictionary;

/// <summary>
/// Operations on sets of rows (directions, activations) that metrics and research code build on: normalised copies,
/// all pairwise dot products or cosines between two sets (one SIMD matrix product), and a fast finiteness check.
/// </summary>
public static class RowOperations
{
    /// <summary>A copy of <paramref name="rows"/> with every nonzero row scaled to unit Euclidean norm (zero rows stay zero).</summary>
    /// <param name="rows">The rows; finite.</param>
    /// <returns>rows.Rows x rows.Columns values, row-major.</returns>
    /// <exception cref="ArgumentException">A row holds a NaN or infinite entry, or its norm overflows; the message names the row.</exception>
    public static float[] NormalizedRows(Matrix rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return RowKernels.NormalizedCopy(rows, nameof(rows));
    }

    /// <summary>
    /// All dot products between the rows of A (aRows x columns) and the rows of B (bRows x columns):
    /// destination[i · bRows + j] = a_i · b_j, i.e. A Bᵀ, computed by the library's packed SIMD matrix product (in parallel).
    /// </summary>
    /// <param name="a">A, row-major, aRows · columns values.</param>
    /// <param name="aRows">Rows of A, at least 0.</param>
    /// <param name="b">B, row-major, bRows · columns values.</param>
    /// <param name="bRows">Rows of B, at least 0.</param>
    /// <param name="columns">The shared row width, at least 0.</param>
    /// <param name="destination">Receives aRows · bRows values, row-major.</param>
    /// <exception cref="ArgumentException">A length does not match the sizes.</exception>
    public static void DotProducts(ReadOnlySpan<float> a, int aRows, ReadOnlySpan<float> b, int bRows, int columns, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(aRows);
        ArgumentOutOfRangeException.ThrowIfNegative(bRows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (a.Length != (long)aRows * columns || b.Length != (long)bRows * columns || destination.Length != (long)aRows * bRows)
        {
            throw new ArgumentException(
                $"A has {a.Length} values, B {b.Length} and the destination {destination.Length}, but {aRows} x {columns}, {bRows} x {columns} and {aRows} x {bRows} need {(long)aRows * columns}, {(long)bRows * columns} and {(long)aRows * bRows}.",
                nameof(destination));
        }

        if (aRows == 0 || bRows == 0)
        {
            return;
        }

        if (columns == 0)
        {
            destination.Clear();
            return;
        }

        Gemm.Multiply(false, true, aRows, bRows, columns, 1f, a, columns, b, columns, 0f, destination, bRows);
    }

    /// <summary>The cosine similarity of every row of <paramref name="a"/> with every row of <paramref name="b"/> (0 for a zero row).</summary>
    /// <param name="a">n rows of width d; finite.</param>
    /// <param name="b">m rows of width d; finite.</param>
    /// <returns>n x m cosines, row-major: entry (i, j) = cos(a_i, b_j).</returns>
    /// <exception cref="ArgumentException">The widths differ, or a row is not finite.</exception>
    public static float[] CosineSimilarities(Matrix a, Matrix b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Columns != b.Columns)
        {
            throw new ArgumentException($"A's rows have {a.Columns} columns and B's {b.Columns}; cosines need one width.", nameof(b));
        }

        var result = new float[(long)a.Rows * b.Rows];
        DotProducts(RowKernels.NormalizedCopy(a, nameof(a)), a.Rows, RowKernels.NormalizedCopy(b, nameof(b)), b.Rows, a.Columns, result);
        return result;
    }

    /// <summary>The index of the first NaN or infinite value, or -1 when all are finite (one vectorised pass over clean data).</summary>
    /// <param name="values">The values.</param>
    /// <returns>An index into <paramref name="values"/>, or -1.</returns>
    public static int FirstNonFinite(ReadOnlySpan<float> values) => FiniteCheck.FirstNonFinite(values);
}
