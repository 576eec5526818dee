using System.Buffers;
using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;
using SparseDictionary.Kernels;
using SparseDictionary.Regularization;

namespace SparseDictionary.Metrics;

/// <summary>
/// Diversity of a set of feature directions (rows), e.g. an SAE's decoder W: how much of a reference feature bank it
/// covers, how many of its directions are not duplicates, its effective rank and its semantic volume.
/// </summary>
/// <remarks>
/// The four measures of the denoising-SAE paper (seed 000), with W the SAE's decoder directions as rows.
/// Cosines follow <see cref="FeatureSimilarity"/>: rows are normalised, and a zero row has cosine 0 with everything.
/// </remarks>
public static class DiversityMetrics
{
    /// <summary>Share of the feature bank's rows whose largest cosine with any row of <paramref name="directions"/> exceeds <paramref name="tau"/>.</summary>
    /// <param name="featureBank">Reference features as rows (n x d), n at least 1.</param>
    /// <param name="directions">Directions as rows (m x d), m at least 1, e.g. an SAE's decoder.</param>
    /// <param name="tau">Cosine threshold in [-1, 1]; the comparison is strict.</param>
    /// <returns>A share in [0, 1].</returns>
    /// <remarks>
    /// Coverage(F, W) = (1/|F|) Σ_{f ∈ F} 1[max_{w ∈ W} cos(f, w) &gt; τ] (denoising-SAE paper, seed 000).
    /// Computed with <see cref="FeatureSimilarity.MaxCosinePerRow"/>, chunked over the bank's rows.
    /// </remarks>
    /// <exception cref="ArgumentNullException">A matrix is null.</exception>
    /// <exception cref="ArgumentException">A matrix is empty, the widths differ, or an entry is NaN or infinite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tau"/> is outside [-1, 1].</exception>
    public static double FeatureCoverage(Matrix featureBank, Matrix directions, double tau)
    {
        ValidateMatrix(featureBank, nameof(featureBank));
        ValidateMatrix(directions, nameof(directions));
        if (featureBank.Columns != directions.Columns)
        {
            throw new ArgumentException(
                $"The feature bank has width {featureBank.Columns} but the directions have width {directions.Columns}; they must match.",
                nameof(directions));
        }

        ValidateTau(tau);
        MatrixValidation.ValidateFinite(featureBank, nameof(featureBank));
        MatrixValidation.ValidateFinite(directions, nameof(directions));
        return FeatureSimilarity.MaxCosinePerRow(featureBank, directions).ShareAbove(tau);
    }

    /// <summary>Share of rows of <paramref name="directions"/> whose largest cosine with any other row is at most <paramref name="tau"/>.</summary>
    /// <param name="directions">Directions as rows (n x d), n at least 1.</param>
    /// <param name="tau">Cosine threshold in [-1, 1]; a row duplicates another when their cosine exceeds it.</param>
    /// <returns>A share in [0, 1]; a single row is unique.</returns>
    /// <remarks>
    /// Unique(W) = (1/n) Σ_i 1[max_{j ≠ i} cos(w_i, w_j) ≤ τ] (denoising-SAE paper, seed 000). Self-matches are excluded.
    /// Both rows of a duplicated pair count as duplicates. The rows are normalised once and compared in chunks of
    /// 256 rows (fewer when n passes 256 Ki, so that a chunk stays within 64 Mi floats) with the core's matrix product, never as an n x n matrix.
    /// A zero (dead) row has cosine 0 with every row, so, like any other row, it is unique exactly when 0 ≤ τ
    /// (two zero rows therefore do not duplicate each other).
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="directions"/> is null.</exception>
    /// <exception cref="ArgumentException">The matrix is empty or an entry is NaN or infinite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tau"/> is outside [-1, 1].</exception>
    public static double UniqueFeatureShare(Matrix directions, double tau)
    {
        ValidateMatrix(directions, nameof(directions));
        ValidateTau(tau);
        MatrixValidation.ValidateFinite(directions, nameof(directions));
        var n = directions.Rows;
        if (n == 1)
        {
            return 1;
        }

        var d = directions.Columns;
        var normalized = MatrixValidation.NormalizedRows(directions, nameof(directions));
        var unique = 0;
        var chunkRows = CosineChunks.RowsFor(n);
        var chunk = Math.Min(chunkRows, n);
        var scratch = ArrayPool<float>.Shared.Rent(chunk * n);
        try
        {
            for (var start = 0; start < n; start += chunkRows)
            {
                var rows = Math.Min(chunkRows, n - start);
                var products = scratch.AsSpan(0, rows * n);
                RowOperations.DotProducts(normalized.AsSpan(start * d, rows * d), rows, normalized, n, d, products);
                for (var r = 0; r < rows; r++)
                {
                    var row = products.Slice(r * n, n);
                    row[start + r] = float.NegativeInfinity;
                    if (TensorPrimitives.Max(row) <= tau)
                    {
                        unique++;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }

        return unique / (double)n;
    }

    /// <summary>Effective rank of <paramref name="directions"/>: the exponential of the entropy of its normalised singular values.</summary>
    /// <param name="directions">Directions as rows (n x d), used as given (not row-normalised).</param>
    /// <returns>A value in [1, min(n, d)], or 0 for an all-zero matrix.</returns>
    /// <remarks>
    /// erank(W) = exp(-Σ_i p_i log p_i), p_i = σ_i / Σ_j σ_j, σ the singular values of W; terms with p_i = 0 contribute 0
    /// (Roy and Vetterli 2007; denoising-SAE paper, seed 000). The rows are not normalised: the paper applies it to the
    /// decoder directions, which are unit-norm; normalise first for other inputs. It is invariant to row order and to
    /// scaling the whole matrix, not to scaling single rows. An all-zero matrix has no spectrum to spread and gets 0.
    /// The SVD runs in double precision (MathNet.Numerics).
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="directions"/> is null.</exception>
    /// <exception cref="ArgumentException">The matrix is empty or an entry is NaN or infinite.</exception>
    public static double EffectiveRank(Matrix directions)
    {
        ValidateMatrix(directions, nameof(directions));
        MatrixValidation.ValidateFinite(directions, nameof(directions));
        var values = new double[directions.Rows, directions.Columns];
        for (var r = 0; r < directions.Rows; r++)
        {
            var row = directions.Row(r);
            for (var c = 0; c < row.Length; c++)
            {
                values[r, c] = row[c];
            }
        }

        var singular = Matrix<double>.Build.DenseOfArray(values).Svd(false).S;
        var total = 0.0;
        foreach (var s in singular)
        {
            total += s;
        }

        if (!(total > 0))
        {
            return 0;
        }

        var entropy = 0.0;
        foreach (var s in singular)
        {
            var p = s / total;
            if (p > 0)
            {
                entropy -= p * Math.Log(p);
            }
        }

        return Math.Exp(entropy);
    }

    /// <summary>Semantic volume of <paramref name="embeddings"/>: the log-determinant of the regularised Gram matrix of its normalised rows.</summary>
    /// <param name="embeddings">Embeddings as rows (n x d), n at least 1.</param>
    /// <param name="epsilon">Ridge added to the Gram matrix's diagonal, positive and finite.</param>
    /// <returns>log det(VᵀV + εI), at most n·log(1 + ε).</returns>
    /// <remarks>
    /// Vol(V) = log det(VᵀV + εI), where V's columns are the embeddings normalised to unit length (denoising-SAE paper,
    /// seed 000), so VᵀV is the n x n Gram matrix of the normalised rows. Orthonormal rows give n·log(1 + ε), the maximum;
    /// duplicated directions drive it towards log ε per lost dimension. A zero row stays a zero column and contributes log ε.
    /// Invariant to row order and to scaling rows. Computed in double precision with a Cholesky factorisation
    /// (log det = 2 Σ_i log L_ii); the Gram matrix is n x n doubles, so it suits sets up to a few thousand rows.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="embeddings"/> is null.</exception>
    /// <exception cref="ArgumentException">The matrix is empty or an entry is NaN or infinite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is not positive and finite, or too small for the factorisation to succeed.</exception>
    public static double SemanticVolume(Matrix embeddings, double epsilon = 1e-6)
    {
        ValidateMatrix(embeddings, nameof(embeddings));
        if (!(epsilon > 0) || !double.IsFinite(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"The ridge epsilon must be positive and finite, but was {epsilon}.");
        }

        MatrixValidation.ValidateFinite(embeddings, nameof(embeddings));
        var n = embeddings.Rows;
        var d = embeddings.Columns;
        var normalized = new double[n, d];
        for (var r = 0; r < n; r++)
        {
            var row = embeddings.Row(r);
            var sum = 0.0;
            foreach (var x in row)
            {
                sum += (double)x * x;
            }

            var norm = Math.Sqrt(sum);
            if (norm > 0)
            {
                for (var c = 0; c < d; c++)
                {
                    normalized[r, c] = row[c] / norm;
                }
            }
        }

        var v = Matrix<double>.Build.DenseOfArray(normalized);
        var gram = v.TransposeAndMultiply(v);
        for (var i = 0; i < n; i++)
        {
            gram[i, i] += epsilon;
        }

        Matrix<double> cholesky;
        try
        {
            cholesky = gram.Cholesky().Factor;
        }
        catch (ArgumentException e)
        {
            throw new ArgumentOutOfRangeException(
                nameof(epsilon),
                epsilon,
                $"The Gram matrix plus epsilon = {epsilon} times I is not numerically positive definite; use a larger epsilon. ({e.Message})");
        }

        var logDet = 0.0;
        for (var i = 0; i < n; i++)
        {
            logDet += 2 * Math.Log(cholesky[i, i]);
        }

        return logDet;
    }

    private static void ValidateMatrix(Matrix m, string name)
    {
        ArgumentNullException.ThrowIfNull(m, name);
        if (m.Rows == 0 || m.Columns == 0)
        {
            throw new ArgumentException($"The matrix is empty ({m.Rows} x {m.Columns}); it needs at least one row and one column.", name);
        }
    }

    private static void ValidateTau(double tau)
    {
        if (!(tau >= -1 && tau <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(tau), tau, $"The cosine threshold tau must lie in [-1, 1], but was {tau}.");
        }
    }
}
