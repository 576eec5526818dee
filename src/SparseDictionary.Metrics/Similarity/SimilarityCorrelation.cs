
namespace SparseDictionary.Metrics;

/// <summary>Whether features that two SAEs agree on are the ones that match the ground truth (seed 001, figures 2 and 3).</summary>
/// <remarks>
/// For each feature f_i (row) of the first decoder, x_i = max_j cos(f_i, g_j) over the rows g_j of the second decoder
/// (similarity across SAEs) and y_i = max_k cos(f_i, t_k) over the ground-truth rows t_k; the statistic is the Pearson
/// correlation of (x, y) over the features. A strong positive value means cross-SAE agreement can stand in for
/// ground truth when the latter is unknown (Sharkey et al. 2022, as reproduced in seed 001).
/// </remarks>
public static class SimilarityCorrelation
{
    /// <summary>Spread below which float32 max cosines are treated as constant (rounding noise, not signal).</summary>
    private const double CosineRoundingSpread = 1e-6;

    /// <summary>Pearson correlation, over the features of <paramref name="decoder1"/>, of their best cosine with <paramref name="decoder2"/> and with <paramref name="groundTruth"/>.</summary>
    /// <param name="decoder1">The first SAE's feature directions as rows (n x d), n at least 2.</param>
    /// <param name="decoder2">The second SAE's feature directions as rows (m x d), m at least 1.</param>
    /// <param name="groundTruth">True feature directions as rows (g x d), g at least 1.</param>
    /// <returns>r in [-1, 1].</returns>
    /// <remarks>
    /// x_i = max_j cos(decoder1_i, decoder2_j), y_i = max_k cos(decoder1_i, groundTruth_k), both from
    /// <see cref="FeatureSimilarity.MaxCosinePerRow"/>; r = <see cref="Pearson"/>(x, y), computed in double.
    /// The x or y values count as constant (and the correlation as undefined) when their spread is at most 1e-6,
    /// the order of float32 rounding of a cosine, e.g. when <paramref name="decoder2"/> equals <paramref name="decoder1"/>.
    /// </remarks>
    /// <exception cref="ArgumentNullException">A matrix is null.</exception>
    /// <exception cref="ArgumentException">
    /// decoder1 has fewer than 2 rows, another set is empty, the widths differ, an entry is not finite, or x or y is
    /// constant (zero variance).
    /// </exception>
    public static double CrossSaeVersusGroundTruth(Matrix decoder1, Matrix decoder2, Matrix groundTruth)
    {
        ArgumentNullException.ThrowIfNull(decoder1);
        ArgumentNullException.ThrowIfNull(decoder2);
        ArgumentNullException.ThrowIfNull(groundTruth);
        if (decoder1.Rows < 2)
        {
            throw new ArgumentException($"decoder1 has {decoder1.Rows} rows; a correlation over its features needs at least 2.", nameof(decoder1));
        }

        if (decoder2.Rows == 0)
        {
            throw new ArgumentException("decoder2 is empty; each feature of decoder1 needs something to match.", nameof(decoder2));
        }

        if (groundTruth.Rows == 0)
        {
            throw new ArgumentException("groundTruth is empty; each feature of decoder1 needs something to match.", nameof(groundTruth));
        }

        if (decoder2.Columns != decoder1.Columns)
        {
            throw new ArgumentException($"decoder2 has width {decoder2.Columns} but decoder1 has width {decoder1.Columns}.", nameof(decoder2));
        }

        if (groundTruth.Columns != decoder1.Columns)
        {
            throw new ArgumentException($"groundTruth has width {groundTruth.Columns} but decoder1 has width {decoder1.Columns}.", nameof(groundTruth));
        }

        var x = ToDoubles(FeatureSimilarity.MaxCosinePerRow(decoder1, decoder2).Cosines);
        var y = ToDoubles(FeatureSimilarity.MaxCosinePerRow(decoder1, groundTruth).Cosines);
        if (x.Max() - x.Min() <= CosineRoundingSpread)
        {
            throw new ArgumentException(
                $"The cross-SAE max cosines are all {x[0]:G6} (zero variance up to float rounding), so the correlation is undefined; is decoder2 a copy of decoder1?",
                nameof(decoder2));
        }

        if (y.Max() - y.Min() <= CosineRoundingSpread)
        {
            throw new ArgumentException(
                $"The ground-truth max cosines are all {y[0]:G6} (zero variance up to float rounding), so the correlation is undefined.",
                nameof(groundTruth));
        }

        return Pearson(x, y);
    }

    /// <summary>Pearson product-moment correlation coefficient of paired samples.</summary>
    /// <param name="x">First sample.</param>
    /// <param name="y">Second sample, the same length as <paramref name="x"/>.</param>
    /// <returns>r in [-1, 1].</returns>
    /// <remarks>
    /// r = Σ (x_i - x̄)(y_i - ȳ) / sqrt(Σ (x_i - x̄)^2) sqrt(Σ (y_i - ȳ)^2) (Pearson 1895), computed in double with the
    /// means taken first (two passes) and the result clamped to [-1, 1] against rounding.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="x"/> or <paramref name="y"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The lengths differ, there are fewer than 2 points, a value is not finite, or x or y has zero variance (all values equal).
    /// </exception>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"x has {x.Count} values but y has {y.Count}; Pearson needs paired samples.", nameof(y));
        }

        var n = x.Count;
        if (n < 2)
        {
            throw new ArgumentException($"There are {n} points; a correlation needs at least 2.", nameof(x));
        }

        double sumX = 0, sumY = 0;
        for (var i = 0; i < n; i++)
        {
            if (!double.IsFinite(x[i]))
            {
                throw new ArgumentException($"x[{i}] is {x[i]}; Pearson needs finite values.", nameof(x));
            }

            if (!double.IsFinite(y[i]))
            {
                throw new ArgumentException($"y[{i}] is {y[i]}; Pearson needs finite values.", nameof(y));
            }

            sumX += x[i];
            sumY += y[i];
        }

        ThrowIfConstant(x, nameof(x));
        ThrowIfConstant(y, nameof(y));
        double meanX = sumX / n, meanY = sumY / n;
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < n; i++)
        {
            var dx = x[i] - meanX;
            var dy = y[i] - meanY;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }

        var denominator = Math.Sqrt(sxx) * Math.Sqrt(syy);
        if (denominator == 0)
        {
            throw new ArgumentException("x or y has zero variance after centring (the values differ only below double resolution); the correlation is undefined.", nameof(x));
        }

        return Math.Clamp(sxy / denominator, -1.0, 1.0);
    }

    private static void ThrowIfConstant(IReadOnlyList<double> values, string name)
    {
        for (var i = 1; i < values.Count; i++)
        {
            if (values[i] != values[0])
            {
                return;
            }
        }

        throw new ArgumentException($"{name} has zero variance (all {values.Count} values are {values[0]}); the correlation is undefined.", name);
    }

    private static double[] ToDoubles(IReadOnlyList<float> values)
    {
        var result = new double[values.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }
}
