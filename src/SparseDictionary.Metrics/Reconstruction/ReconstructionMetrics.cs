
namespace SparseDictionary.Metrics;

/// <summary>
/// How well reconstructions x̂ match inputs x: mean squared error, fraction of variance unexplained, explained
/// variance, mean cosine similarity and mean L2 norm ratio.
/// </summary>
/// <remarks>
/// Both matrices have one sample per row and the same shape. Every sum is accumulated in double precision.
/// <see cref="ReconstructionEvaluation.Evaluate"/> computes the same figures streaming over an activation source.
/// </remarks>
public static class ReconstructionMetrics
{
    /// <summary>Mean over all entries of (x - x̂)².</summary>
    /// <param name="x">Inputs (n x d), non-empty, finite.</param>
    /// <param name="xHat">Reconstructions, same shape as <paramref name="x"/>, finite.</param>
    /// <returns>MSE, at least 0.</returns>
    /// <remarks>MSE = (1/(n d)) Σ_b Σ_j (x_bj - x̂_bj)² (e.g. Gao et al. 2024, section 2.1).</remarks>
    /// <exception cref="ArgumentNullException">A matrix is null.</exception>
    /// <exception cref="ArgumentException">A matrix is empty, the shapes differ, or an entry is NaN or infinite.</exception>
    public static double MeanSquaredError(Matrix x, Matrix xHat)
    {
        ValidatePair(x, xHat);
        return SumSquaredError(x, xHat) / ((double)x.Rows * x.Columns);
    }

    /// <summary>Fraction of the data's total variance that the reconstructions leave unexplained.</summary>
    /// <param name="x">Inputs (n x d), non-empty, finite, not all rows equal.</param>
    /// <param name="xHat">Reconstructions, same shape as <paramref name="x"/>, finite.</param>
    /// <returns>FVU, at least 0; 0 for a perfect reconstruction, 1 when every row is reconstructed as the mean row.</returns>
    /// <remarks>
    /// FVU = Σ_b ||x_b - x̂_b||² / Σ_b ||x_b - μ||², μ = (1/n) Σ_b x_b the mean row over the whole set
    /// (normalised MSE of Gao et al. 2024, section 2.1; Bricken et al. 2023). It is not the legacy per-dimension
    /// variant that divides by the average over dimensions of E[x_j²] - E[x_j]² computed per batch.
    /// The denominator is computed with two passes (mean first), in double precision.
    /// </remarks>
    /// <exception cref="ArgumentNullException">A matrix is null.</exception>
    /// <exception cref="ArgumentException">
    /// A matrix is empty, the shapes differ, an entry is NaN or infinite, or <paramref name="x"/> has zero total
    /// variance (every row equal to the mean row, e.g. a single row), so the ratio is undefined.
    /// </exception>
    public static double FractionOfVarianceUnexplained(Matrix x, Matrix xHat)
    {
        ValidatePair(x, xHat);
        var d = x.Columns;
        var mean = new double[d];
        for (var b = 0; b < x.Rows; b++)
        {
            var row = x.Row(b);
            for (var j = 0; j < d; j++)
            {
                mean[j] += row[j];
            }
        }

        for (var j = 0; j < d; j++)
        {
            mean[j] /= x.Rows;
        }

        var total = 0.0;
        for (var b = 0; b < x.Rows; b++)
        {
            var row = x.Row(b);
            for (var j = 0; j < d; j++)
            {
                var diff = row[j] - mean[j];
                total += diff * diff;
            }
        }

        return Ratio(SumSquaredError(x, xHat), total, x.Rows);
    }

    /// <summary>Explained variance, 1 - <see cref="FractionOfVarianceUnexplained"/>.</summary>
    /// <param name="x">Inputs (n x d), non-empty, finite, not all rows equal.</param>
    /// <param name="xHat">Reconstructions, same shape as <paramref name="x"/>, finite.</param>
    /// <returns>At most 1; negative when the reconstruction is worse than predicting the mean row.</returns>
    /// <remarks>EV = 1 - Σ_b ||x_b - x̂_b||² / Σ_b ||x_b - μ||², μ the mean row over the whole set (Gao et al. 2024).</remarks>
    /// <exception cref="ArgumentNullException">A matrix is null.</exception>
    /// <exception cref="ArgumentException">As for <see cref="FractionOfVarianceUnexplained"/>.</exception>
    public static double ExplainedVariance(Matrix x, Matrix xHat) => 1 - FractionOfVarianceUnexplained(x, xHat);

    /// <summary>Mean over rows of the cosine similarity between x_b and x̂_b.</summary>
    /// <param name="x">Inputs (n x d), non-empty, finite.</param>
    /// <param name="xHat">Reconstructions, same shape as <paramref name="x"/>, finite.</param>
    /// <returns>A value in [-1, 1].</returns>
    /// <remarks>
    /// (1/n) Σ_b ⟨x_b, x̂_b⟩ / (||x_b|| ||x̂_b||) (e.g. SAELens' cosine-similarity evaluation). A pair in which
    /// either row is the zero vector has no direction and counts as cosine 0 (it still counts in n).
    /// </remarks>
    /// <exception cref="ArgumentNullException">A matrix is null.</exception>
    /// <exception cref="ArgumentException">A matrix is empty, the shapes differ, or an entry is NaN or infinite.</exception>
    public static double MeanCosineSimilarity(Matrix x, Matrix xHat)
    {
        ValidatePair(x, xHat);
        var sum = 0.0;
        for (var b = 0; b < x.Rows; b++)
        {
            sum += RowStatistics.Of(x.Row(b), xHat.Row(b)).Cosine;
        }

        return sum / x.Rows;
    }

    /// <summary>Mean over rows of ||x̂_b|| / ||x_b||, the L2 norm ratio (shrinkage when below 1).</summary>
    /// <param name="x">Inputs (n x d), non-empty, finite, at least one nonzero row.</param>
    /// <param name="xHat">Reconstructions, same shape as <paramref name="x"/>, finite.</param>
    /// <returns>A value at least 0; 1 for a perfect reconstruction.</returns>
    /// <remarks>
    /// (1/n') Σ_{b: ||x_b|| &gt; 0} ||x̂_b|| / ||x_b|| (e.g. SAELens' l2_ratio). Rows with ||x_b|| = 0 have no ratio and
    /// are skipped; n' is the number of the other rows.
    /// </remarks>
    /// <exception cref="ArgumentNullException">A matrix is null.</exception>
    /// <exception cref="ArgumentException">
    /// A matrix is empty, the shapes differ, an entry is NaN or infinite, or every row of <paramref name="x"/> is zero.
    /// </exception>
    public static double MeanL2Ratio(Matrix x, Matrix xHat)
    {
        ValidatePair(x, xHat);
        var sum = 0.0;
        long counted = 0;
        for (var b = 0; b < x.Rows; b++)
        {
            var stats = RowStatistics.Of(x.Row(b), xHat.Row(b));
            if (stats.InputSquaredNorm > 0)
            {
                sum += stats.L2Ratio;
                counted++;
            }
        }

        return L2RatioMean(sum, counted, x.Rows);
    }

    internal static double Ratio(double squaredError, double totalVariance, long rows)
    {
        if (!(totalVariance > 0))
        {
            throw new ArgumentException(
                $"The inputs have zero total variance (Σ_b ||x_b - μ||² = {totalVariance} over {rows} rows): every row equals the mean row, so the fraction of variance unexplained is undefined.",
                "x");
        }

        return squaredError / totalVariance;
    }

    internal static double L2RatioMean(double sum, long counted, long rows)
    {
        if (counted == 0)
        {
            throw new ArgumentException($"All {rows} input rows are zero vectors; the L2 ratio ||x̂_b|| / ||x_b|| is undefined for every row.", "x");
        }

        return sum / counted;
    }

    private static double SumSquaredError(Matrix x, Matrix xHat)
    {
        var sum = 0.0;
        for (var b = 0; b < x.Rows; b++)
        {
            sum += RowStatistics.Of(x.Row(b), xHat.Row(b)).SquaredError;
        }

        return sum;
    }

    private static void ValidatePair(Matrix x, Matrix xHat)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(xHat);
        if (x.Rows == 0 || x.Columns == 0)
        {
            throw new ArgumentException($"The inputs are empty ({x.Rows} x {x.Columns}); they need at least one row and one column.", nameof(x));
        }

        if (x.Rows != xHat.Rows || x.Columns != xHat.Columns)
        {
            throw new ArgumentException(
                $"The inputs are {x.Rows} x {x.Columns} but the reconstructions are {xHat.Rows} x {xHat.Columns}; the shapes must match.",
                nameof(xHat));
        }

        MatrixValidation.ValidateFinite(x, nameof(x));
        MatrixValidation.ValidateFinite(xHat, nameof(xHat));
    }
}
