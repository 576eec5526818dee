namespace SparseDictionary;

/// <summary>One SAE's figures for the step a <see cref="TrainingProgress"/> reports.</summary>
/// <param name="ReconstructionLoss">Mean over rows of ||x - x_hat||² on the step's clean batch.</param>
/// <param name="FractionOfVarianceUnexplained">Σ ||x - x_hat||² / Σ ||x - mean(x)||² over the batch (mean over the batch).</param>
/// <param name="MeanL0">Mean number of active latents per row.</param>
/// <param name="DeadLatentFraction">Share of latents that have not fired for <see cref="SaeTrainerOptions.DeadLatentWindowTokens"/> tokens (only counts once that many tokens were seen).</param>
/// <param name="InactivityDeviation">The linear <see cref="InactivityDeviation"/> of the step's batch (expected frequency: the batch's mean firing frequency).</param>
/// <param name="DenoisingLoss">In denoising training, the mean over rows of ||x - x_hat_noised||² (before the weight beta); null otherwise.</param>
/// <param name="Reinitializations">How many times the SAE was reinitialised so far in the run.</param>
public sealed record SaeStepStatistics(
    double ReconstructionLoss,
    double FractionOfVarianceUnexplained,
    double MeanL0,
    double DeadLatentFraction,
    double InactivityDeviation,
    double? DenoisingLoss,
    int Reinitializations);
