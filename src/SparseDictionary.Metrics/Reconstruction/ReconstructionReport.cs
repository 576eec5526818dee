namespace SparseDictionary.Metrics;

/// <summary>Reconstruction and sparsity figures of an SAE over the rows of an activation source, from <see cref="ReconstructionEvaluation.Evaluate"/>.</summary>
/// <param name="Rows">Rows evaluated.</param>
/// <param name="MeanSquaredError">Mean over all entries of (x - x̂)², as <see cref="ReconstructionMetrics.MeanSquaredError"/>.</param>
/// <param name="FractionOfVarianceUnexplained">Σ_b ||x_b - x̂_b||² / Σ_b ||x_b - μ||², μ the mean row of all evaluated rows, as <see cref="ReconstructionMetrics.FractionOfVarianceUnexplained"/>; NaN in the reports of <see cref="SaeEvaluation"/> when the rows have zero total variance (<see cref="ReconstructionEvaluation.Evaluate"/> throws instead).</param>
/// <param name="ExplainedVariance">1 - <paramref name="FractionOfVarianceUnexplained"/>.</param>
/// <param name="MeanCosineSimilarity">Mean over rows of cos(x_b, x̂_b), zero-vector pairs counting 0, as <see cref="ReconstructionMetrics.MeanCosineSimilarity"/>.</param>
/// <param name="MeanL2Ratio">Mean of ||x̂_b|| / ||x_b|| over rows with x_b ≠ 0, as <see cref="ReconstructionMetrics.MeanL2Ratio"/>; NaN when every row is zero.</param>
/// <param name="MeanL0">Mean number of nonzero latents per row, as <see cref="SparsityMetrics.MeanL0"/>.</param>
/// <param name="DeadLatentShare">Share of latents that never fired on the evaluated rows, as <see cref="SparsityMetrics.DeadLatentShare"/>.</param>
/// <param name="FiringFrequencies">Per latent, the share of rows on which it fired, as <see cref="SparsityMetrics.FiringFrequencies"/>.</param>
public sealed record ReconstructionReport(
    long Rows,
    double MeanSquaredError,
    double FractionOfVarianceUnexplained,
    double ExplainedVariance,
    double MeanCosineSimilarity,
    double MeanL2Ratio,
    double MeanL0,
    double DeadLatentShare,
    IReadOnlyList<double> FiringFrequencies);
