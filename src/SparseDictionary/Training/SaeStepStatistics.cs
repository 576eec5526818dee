namespace SparseDictionary.Training;

/// <summary>One SAE's figures for the step a <see cref="TrainingProgress"/> reports.</summary>
/// <param name="ReconstructionLoss">Mean over rows of ||x - x_hat||² on the step's batch.</param>
/// <param name="FractionOfVarianceUnexplained">Σ ||x - x_hat||² / Σ ||x - mean(x)||² over the batch (mean over the batch).</param>
/// <param name="MeanL0">Mean number of active latents per row.</param>
/// <param name="DeadLatentFraction">Share of latents that have not fired for <see cref="SaeTrainerOptions.DeadLatentWindowTokens"/> tokens (only counts once that many tokens were seen).</param>
public sealed record SaeStepStatistics(double ReconstructionLoss, double FractionOfVarianceUnexplained, double MeanL0, double DeadLatentFraction);
