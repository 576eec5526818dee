using SparseDictionary.Data;
using SparseDictionary.Modeling;
using SparseDictionary.Tensors;

namespace SparseDictionary.Metrics.Reconstruction;

/// <summary>Evaluates an SAE's reconstructions and sparsity over an activation source, streaming in batches.</summary>
public static class ReconstructionEvaluation
{
    /// <summary>Encodes and decodes the source's rows batch by batch and returns the reconstruction and sparsity figures over all of them.</summary>
    /// <param name="sae">The SAE; its input dimension must equal the source's dimension.</param>
    /// <param name="source">The rows; it is <see cref="IActivationSource.Reset"/> first and read until exhausted or <paramref name="maxRows"/> rows are read.</param>
    /// <param name="batchSize">Rows per batch, at least 1.</param>
    /// <param name="maxRows">Most rows to evaluate, at least 1; must be given (below long.MaxValue) for an unbounded source.</param>
    /// <returns>The report; each figure equals the matrix function of <see cref="ReconstructionMetrics"/> or <see cref="SparsityMetrics"/> on all rows at once, up to rounding.</returns>
    /// <remarks>
    /// Only one batch is held at a time; everything else is a running double-precision sum: Σ||x_b - x̂_b||², the
    /// cosines, the L2 ratios, the nonzero counts and a per-latent firing count. The total variance
    /// Σ_b ||x_b - μ||² is obtained in one pass as Σ_b ||x_b - c||² - N ||μ - c||², with the shift c the first row
    /// read (shifted sums avoid the cancellation of the plain form Σ||x||² - N||μ||² when the mean is large relative
    /// to the spread); μ is the mean row of all N evaluated rows, as in
    /// <see cref="ReconstructionMetrics.FractionOfVarianceUnexplained"/>. If every evaluated row is zero the mean L2
    /// ratio is NaN (it has no rows to average) rather than an exception, so the other figures are still reported.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="sae"/> or <paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The dimensions differ; the source is unbounded and <paramref name="maxRows"/> is not given; a row is NaN or
    /// infinite; or the evaluated rows have zero total variance.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> or <paramref name="maxRows"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">The source yields no rows.</exception>
    public static ReconstructionReport Evaluate(SparseAutoencoder sae, IActivationSource source, int batchSize = 4096, long maxRows = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentNullException.ThrowIfNull(source);
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"The batch size must be at least 1, but was {batchSize}.");
        }

        if (maxRows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxRows), maxRows, $"maxRows must be at least 1, but was {maxRows}.");
        }

        if (source.Dimension != sae.InputDimension)
        {
            throw new ArgumentException($"The source's rows have width {source.Dimension} but the SAE's input dimension is {sae.InputDimension}; they must match.", nameof(source));
        }

        if (source.Length is null && maxRows == long.MaxValue)
        {
            throw new ArgumentException("The source is unbounded (Length is null); give maxRows so the evaluation ends.", nameof(maxRows));
        }

        var d = sae.InputDimension;
        var buffer = new Matrix((int)Math.Min(batchSize, maxRows), d);
        var shift = new double[d];
        var shiftedSum = new double[d];
        var firing = new long[sae.LatentCount];
        double shiftedSquares = 0, squaredError = 0, cosineSum = 0, ratioSum = 0;
        long rows = 0, ratioRows = 0, nonzero = 0;

        source.Reset();
        while (rows < maxRows)
        {
            var want = (int)Math.Min(buffer.Rows, maxRows - rows);
            var read = source.Read(want == buffer.Rows ? buffer : buffer.SliceRows(0, want));
            if (read == 0)
            {
                break;
            }

            var batch = read == buffer.Rows ? buffer : buffer.SliceRows(0, read);
            ValidateFinite(batch, rows);
            if (rows == 0)
            {
                var first = batch.Row(0);
                for (var j = 0; j < d; j++)
                {
                    shift[j] = first[j];
                }
            }

            var codes = sae.Encode(batch);
            var xHat = sae.Decode(codes);
            for (var b = 0; b < read; b++)
            {
                var x = batch.Row(b);
                var stats = RowStatistics.Of(x, xHat.Row(b));
                squaredError += stats.SquaredError;
                cosineSum += stats.Cosine;
                if (stats.InputSquaredNorm > 0)
                {
                    ratioSum += stats.L2Ratio;
                    ratioRows++;
                }

                for (var j = 0; j < d; j++)
                {
                    var centred = x[j] - shift[j];
                    shiftedSum[j] += centred;
                    shiftedSquares += centred * centred;
                }

                nonzero += SparsityMetrics.CountNonzero(codes.Values(b));
            }

            SparsityMetrics.AddFiringCounts(codes, firing);
            rows += read;
        }

        if (rows == 0)
        {
            throw new InvalidOperationException("The source yielded no rows after Reset; there is nothing to evaluate.");
        }

        var meanOffsetSquared = 0.0;
        for (var j = 0; j < d; j++)
        {
            var offset = shiftedSum[j] / rows;
            meanOffsetSquared += offset * offset;
        }

        var totalVariance = Math.Max(0, shiftedSquares - (rows * meanOffsetSquared));
        var fvu = ReconstructionMetrics.Ratio(squaredError, totalVariance, rows);
        var frequencies = new double[firing.Length];
        for (var i = 0; i < firing.Length; i++)
        {
            frequencies[i] = firing[i] / (double)rows;
        }

        return new ReconstructionReport(
            rows,
            squaredError / ((double)rows * d),
            fvu,
            1 - fvu,
            cosineSum / rows,
            ratioRows == 0 ? double.NaN : ratioSum / ratioRows,
            nonzero / (double)rows,
            SparsityMetrics.DeadShare(firing),
            frequencies);
    }

    private static void ValidateFinite(Matrix batch, long firstRow)
    {
        var position = FiniteCheck.FirstNonFinite(batch.Span);
        if (position >= 0)
        {
            throw new ArgumentException(
                $"Source row {firstRow + (position / batch.Columns)}, column {position % batch.Columns} is {batch.Span[position]}; NaN or infinite entries are not allowed, every entry must be finite.",
                "source");
        }
    }
}
