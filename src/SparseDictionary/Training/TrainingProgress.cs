namespace SparseDictionary;

/// <summary>A progress report of <see cref="SaeTrainer"/>, after a completed step.</summary>
/// <param name="Step">Steps completed (1-based count).</param>
/// <param name="TotalSteps">Steps of the whole run.</param>
/// <param name="Tokens">Tokens trained on so far.</param>
/// <param name="TokensPerSecond">Training throughput since the run started.</param>
/// <param name="LearningRate">Learning rate of the reported step.</param>
/// <param name="Loss">Total loss of the step: the reconstruction losses of all SAEs plus all regularizer terms.</param>
/// <param name="RegularizerLosses">Each regularizer's term for the step, by name.</param>
/// <param name="Saes">Per-SAE figures, in the order the SAEs were given.</param>
/// <param name="Reinitializations">The reinitialisations since the previous report (empty when none); a step that reinitialises an SAE is always reported.</param>
public sealed record TrainingProgress(
    long Step,
    long TotalSteps,
    long Tokens,
    double TokensPerSecond,
    float LearningRate,
    double Loss,
    IReadOnlyDictionary<string, double> RegularizerLosses,
    IReadOnlyList<SaeStepStatistics> Saes,
    IReadOnlyList<ReinitializationEvent> Reinitializations);
