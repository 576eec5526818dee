namespace SparseDictionary.Kernels;

/// <summary>
/// Argument checks of <see cref="Gemm"/>: dimensions, thread caps, strides and span lengths, each failure an
/// exception that names the argument, its value and what was expected.
/// </summary>
internal static class GemmArguments
{
    /// <summary>Throws if a dimension is negative.</summary>
    /// <param name="value">The dimension.</param>
    /// <param name="name">Its parameter name.</param>
    internal static void ValidateDimension(int value, string name)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} ({value}) must not be negative.");
        }
    }

    /// <summary>Throws unless the thread cap is -1 or positive.</summary>
    /// <param name="value">The cap.</param>
    internal static void ValidateParallelism(int value)
    {
        if (value == 0 || value < -1)
        {
            throw new ArgumentOutOfRangeException(
                "maxDegreeOfParallelism", value, $"maxDegreeOfParallelism ({value}) must be -1 (all cores) or at least 1.");
        }
    }

    /// <summary>Validates the stride and length of the stored A.</summary>
    /// <param name="transposeA">Whether A is stored as k x m.</param>
    /// <param name="m">Rows of op(A).</param>
    /// <param name="k">Columns of op(A).</param>
    /// <param name="a">The stored A.</param>
    /// <param name="lda">Its row stride.</param>
    internal static void ValidateLeft(bool transposeA, int m, int k, ReadOnlySpan<float> a, int lda)
    {
        if (transposeA)
        {
            ValidateStride(lda, "lda", m, "m", "transposeA is true");
            ValidateLength(a.Length, "a", "A", k, m, lda, "lda");
        }
        else
        {
            ValidateStride(lda, "lda", k, "k", "transposeA is false");
            ValidateLength(a.Length, "a", "A", m, k, lda, "lda");
        }
    }

    /// <summary>Validates the stride and length of the stored B.</summary>
    /// <param name="transposeB">Whether B is stored as n x k.</param>
    /// <param name="k">Rows of op(B).</param>
    /// <param name="n">Columns of op(B).</param>
    /// <param name="b">The stored B.</param>
    /// <param name="ldb">Its row stride.</param>
    internal static void ValidateRight(bool transposeB, int k, int n, ReadOnlySpan<float> b, int ldb)
    {
        if (transposeB)
        {
            ValidateStride(ldb, "ldb", k, "k", "transposeB is true");
            ValidateLength(b.Length, "b", "B", n, k, ldb, "ldb");
        }
        else
        {
            ValidateStride(ldb, "ldb", n, "n", "transposeB is false");
            ValidateLength(b.Length, "b", "B", k, n, ldb, "ldb");
        }
    }

    /// <summary>Validates the stride and length of C.</summary>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="c">C.</param>
    /// <param name="ldc">Its row stride.</param>
    internal static void ValidateOutput(int m, int n, Span<float> c, int ldc)
    {
        ValidateStride(ldc, "ldc", n, "n", null);
        ValidateLength(c.Length, "c", "C", m, n, ldc, "ldc");
    }

    /// <summary>Throws unless a row stride covers a row.</summary>
    /// <param name="stride">The stride.</param>
    /// <param name="strideName">Its parameter name.</param>
    /// <param name="minimum">The row length.</param>
    /// <param name="minimumName">The row length's name.</param>
    /// <param name="condition">When the requirement applies, or <see langword="null"/>.</param>
    private static void ValidateStride(int stride, string strideName, int minimum, string minimumName, string? condition)
    {
        if (stride < minimum)
        {
            string when = condition is null ? string.Empty : $" when {condition}";
            throw new ArgumentOutOfRangeException(
                strideName, stride, $"{strideName} ({stride}) must be at least {minimumName} ({minimum}){when}.");
        }
    }

    /// <summary>Throws unless a span holds a rows x cols row-major matrix with the given stride.</summary>
    /// <param name="length">The span's length.</param>
    /// <param name="spanName">Its parameter name.</param>
    /// <param name="matrixName">The matrix's name.</param>
    /// <param name="rows">Stored rows.</param>
    /// <param name="cols">Stored columns.</param>
    /// <param name="stride">The row stride.</param>
    /// <param name="strideName">The stride's parameter name.</param>
    private static void ValidateLength(int length, string spanName, string matrixName, int rows, int cols, int stride, string strideName)
    {
        long required = rows == 0 || cols == 0 ? 0 : ((long)(rows - 1) * stride) + cols;
        if (length < required)
        {
            throw new ArgumentException(
                $"{spanName} has {length} elements but the stored {matrixName} ({rows} x {cols}, {strideName} {stride}) needs at least {required}.",
                spanName);
        }
    }
}
