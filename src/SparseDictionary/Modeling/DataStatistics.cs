using System.Buffers;
using SparseDictionary.Kernels;

namespace SparseDictionary;

/// <summary>
/// Column statistics of a set of input rows, computed in double precision: the mean row, the total variance
/// Σ_b ||x_b - μ||² (two passes, exact for data with a large common offset) and the geometric median (b_dec's
/// initialisation, Gao et al. 2024).
/// </summary>
public static class DataStatistics
{
    /// <summary>Rows per block of <see cref="TotalVariance(Matrix, double[])"/>: the unit of its parallel work and of its fixed summation order.</summary>
    private const int VarianceBlockRows = 64;

    /// <summary>
    /// The total variance Σ_b ||x_b - μ||², μ the mean row, in two passes in double precision: the column means first,
    /// then the sum of squared deviations from them. Never the one-pass Σ ||x_b||² - n ||μ||², which cancels
    /// catastrophically when the mean is large against the spread (a common offset of 1e4 with unit spread loses every
    /// digit in float and most in double) and squares denormal values to 0.
    /// </summary>
    /// <remarks>
    /// Both passes run over fixed blocks of <see cref="VarianceBlockRows"/> rows in parallel, each block summing
    /// per column in row order; the blocks are then combined in block order. Each column's sums see the same additions
    /// in the same order on every kernel path, so the result is the same bits whatever the thread count or CPU.
    /// </remarks>
    /// <param name="x">The rows; 0 when there are none.</param>
    /// <returns>The total variance, at least 0.</returns>
    public static double TotalVariance(Matrix x) => TotalVariance(x ?? throw new ArgumentNullException(nameof(x)), new double[x.Columns]);

    /// <summary><see cref="TotalVariance(Matrix)"/>, also giving the mean row.</summary>
    /// <param name="x">The rows; 0 when there are none.</param>
    /// <param name="mean">Receives the mean row (zeros when there are no rows); x.Columns long.</param>
    /// <returns>The total variance, at least 0.</returns>
    public static double TotalVariance(Matrix x, double[] mean)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(mean);
        var rows = x.Rows;
        var d = x.Columns;
        if (mean.Length != d)
        {
            throw new ArgumentException($"The mean has {mean.Length} entries but the rows have {d} columns.", nameof(mean));
        }

        Array.Clear(mean);
        if (rows == 0 || d == 0)
        {
            return 0;
        }

        var blocks = (rows + VarianceBlockRows - 1) / VarianceBlockRows;
        // blocks x d <= rows x d doubles, which fits one buffer; rented: it is over the large-object threshold at
        // d = 768 and the trainer asks for it at every step.
        var partial = ArrayPool<double>.Shared.Rent(blocks * d);
        try
        {
            var path = KernelPaths.Current;
            ParallelRows.For(blocks, (first, last) =>
            {
                for (var block = first; block < last; block++)
                {
                    var sums = partial.AsSpan(block * d, d);
                    sums.Clear();
                    var end = Math.Min(rows, (block + 1) * VarianceBlockRows);
                    for (var r = block * VarianceBlockRows; r < end; r++)
                    {
                        RowKernels.AddToDouble(x.Row(r), sums, path);
                    }
                }
            });

            for (var block = 0; block < blocks; block++)
            {
                var sums = partial.AsSpan(block * d, d);
                for (var c = 0; c < d; c++)
                {
                    mean[c] += sums[c];
                }
            }

            for (var c = 0; c < d; c++)
            {
                mean[c] /= rows;
            }

            ParallelRows.For(blocks, (first, last) =>
            {
                for (var block = first; block < last; block++)
                {
                    var sums = partial.AsSpan(block * d, d);
                    sums.Clear();
                    var end = Math.Min(rows, (block + 1) * VarianceBlockRows);
                    for (var r = block * VarianceBlockRows; r < end; r++)
                    {
                        RowKernels.AddSquaredDeviations(x.Row(r), mean, sums, path);
                    }
                }
            });

            var total = 0.0;
            for (var block = 0; block < blocks; block++)
            {
                var sums = partial.AsSpan(block * d, d);
                for (var c = 0; c < d; c++)
                {
                    total += sums[c];
                }
            }

            return total;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(partial);
        }
    }

    /// <summary>The mean row, summed in double in row order.</summary>
    /// <param name="sample">The rows; at least one.</param>
    /// <returns>sample.Columns means.</returns>
    /// <exception cref="ArgumentException">The sample has no rows.</exception>
    public static double[] Mean(Matrix sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (sample.Rows == 0)
        {
            throw new ArgumentException("The mean of no rows is undefined; pass at least one row.", nameof(sample));
        }

        var d = sample.Columns;
        var mean = new double[d];
        for (var r = 0; r < sample.Rows; r++)
        {
            var row = sample.Row(r);
            for (var c = 0; c < d; c++)
            {
                mean[c] += row[c];
            }
        }

        for (var c = 0; c < d; c++)
        {
            mean[c] /= sample.Rows;
        }

        return mean;
    }

    /// <summary>
    /// The geometric median argmin_y Σ_r ||x_r - y||, by Weiszfeld's iteration y &lt;- Σ w_r x_r / Σ w_r with
    /// w_r = 1 / max(||x_r - y||, floor), started at the mean; stops when a step moves less than
    /// <paramref name="tolerance"/> times the sample's RMS spread, or after <paramref name="maxIterations"/>.
    /// </summary>
    /// <param name="sample">The rows; at least one.</param>
    /// <param name="maxIterations">Iterations at most, at least 1.</param>
    /// <param name="tolerance">Relative step size at which the iteration stops, &gt;= 0.</param>
    /// <returns>sample.Columns coordinates of the median.</returns>
    /// <exception cref="ArgumentException">The sample has no rows.</exception>
    public static double[] GeometricMedian(Matrix sample, int maxIterations = 200, double tolerance = 1e-7)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxIterations, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(tolerance);
        var d = sample.Columns;
        var y = Mean(sample);
        var spread = 0.0;
        for (var r = 0; r < sample.Rows; r++)
        {
            spread += SquaredDistance(sample.Row(r), y);
        }

        spread = Math.Sqrt(spread / sample.Rows);
        if (spread == 0)
        {
            return y;
        }

        var floor = 1e-12 * spread;
        var next = new double[d];
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            Array.Clear(next);
            var weightSum = 0.0;
            for (var r = 0; r < sample.Rows; r++)
            {
                var row = sample.Row(r);
                var w = 1 / Math.Max(Math.Sqrt(SquaredDistance(row, y)), floor);
                weightSum += w;
                for (var c = 0; c < d; c++)
                {
                    next[c] += w * row[c];
                }
            }

            var moved = 0.0;
            for (var c = 0; c < d; c++)
            {
                next[c] /= weightSum;
                moved += (next[c] - y[c]) * (next[c] - y[c]);
            }

            (y, next) = (next, y);
            if (Math.Sqrt(moved) <= tolerance * spread)
            {
                break;
            }
        }

        return y;
    }

    private static double SquaredDistance(ReadOnlySpan<float> row, double[] y)
    {
        var sum = 0.0;
        for (var c = 0; c < row.Length; c++)
        {
            var diff = row[c] - y[c];
            sum += diff * diff;
        }

        return sum;
    }
}
