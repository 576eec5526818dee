
namespace SparseDictionary.Metrics;

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
    /// Σ_b ||x_b - μ||² is computed per batch in two passes in double (the batch's mean row, then its squared
    /// deviations from it), and the batches are merged with the pairwise update of Chan, Golub and LeVeque (1979):
    /// M = M_a + M_b + ||μ_b - μ_a||² n_a n_b / (n_a + n_b). No sum of squares of the raw values is ever formed, so a
    /// large common offset or denormal data lose nothing to cancellation; μ is the mean row of all N evaluated rows,
    /// as in <see cref="ReconstructionMetrics.FractionOfVarianceUnexplained"/>. If every evaluated row is zero the mean L2
    /// ratio is NaN (it has no rows to average) rather than an exception, so the other figures are still reported.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="sae"/> or <paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The dimensions differ; the source is unbounded and <paramref name="maxRows"/> is not given; a row is NaN or
    /// infinite; or the evaluated rows have zero total variance.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> or <paramref name="maxRows"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">The source yields no rows.</exception>
    public static ReconstructionReport Evaluate(SparseAutoencoder sae, IActivationSource source, int batchSize = 4096, long maxRows = long.MaxValue) =>
        EvaluateCore(sae, source, batchSize, maxRows, zeroVarianceAsNaN: false);

    /// <summary>
    /// <see cref="Evaluate"/>; with <paramref name="zeroVarianceAsNaN"/>,
    /// rows of zero total variance give an FVU and explained variance of NaN instead of an exception, so that the
    /// other figures are still reported (<see cref="SaeEvaluation"/>).
    /// </summary>
    internal static ReconstructionReport EvaluateCore(SparseAutoencoder sae, IActivationSource source, int batchSize, long maxRows, bool zeroVarianceAsNaN)
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
        var mean = new double[d];
        var batchMean = new double[d];
        var firing = new long[sae.LatentCount];
        double totalVariance = 0, squaredError = 0, cosineSum = 0, ratioSum = 0;
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
            totalVariance = MergeVariance(rows, mean, totalVariance, batch, batchMean);
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

                nonzero += SparsityMetrics.CountNonzero(codes.Values(b));
            }

            SparsityMetrics.AddFiringCounts(codes, firing);
            rows += read;
        }

        if (rows == 0)
        {
            throw new InvalidOperationException("The source yielded no rows after Reset; there is nothing to evaluate.");
        }

        var fvu = zeroVarianceAsNaN && !(totalVariance > 0) ? double.NaN : ReconstructionMetrics.Ratio(squaredError, totalVariance, rows);
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

    /// <summary>
    /// Merges a batch into the running statistics of the <paramref name="rows"/> rows before it: <paramref name="mean"/>
    /// becomes the mean row of all of them and the returned value their total variance (Chan, Golub and LeVeque 1979;
    /// the batch's own figures from <see cref="DataStatistics.TotalVariance(Matrix, double[])"/>).
    /// </summary>
    private static double MergeVariance(long rows, double[] mean, double totalVariance, Matrix batch, double[] batchMean)
    {
        var batchVariance = DataStatistics.TotalVariance(batch, batchMean);
        if (rows == 0)
        {
            batchMean.CopyTo(mean, 0);
            return batchVariance;
        }

        double n = rows + batch.Rows;
        var share = batch.Rows / n;
        var offsetSquared = 0.0;
        for (var j = 0; j < mean.Length; j++)
        {
            var offset = batchMean[j] - mean[j];
            offsetSquared += offset * offset;
            mean[j] += offset * share;
        }

        return totalVariance + batchVariance + (offsetSquared * rows * share);
    }

    private static void ValidateFinite(Matrix batch, long firstRow)
    {
        var position = RowOperations.FirstNonFinite(batch.Span);
        if (position >= 0)
        {
            throw new ArgumentException(
                $"Source row {firstRow + (position / batch.Columns)}, column {position % batch.Columns} is {batch.Span[position]}; NaN or infinite entries are not allowed, every entry must be finite.",
                "source");
        }
    }
}
