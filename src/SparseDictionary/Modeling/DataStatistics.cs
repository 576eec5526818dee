using SparseDictionary.Tensors;

namespace SparseDictionary.Modeling;

/// <summary>Column statistics of a sample of input rows, computed in double precision.</summary>
internal static class DataStatistics
{
    /// <summary>The mean row.</summary>
    public static double[] Mean(Matrix sample)
    {
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
    public static double[] GeometricMedian(Matrix sample, int maxIterations = 200, double tolerance = 1e-7)
    {
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
