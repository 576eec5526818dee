namespace SparseDictionary;

/// <summary>
/// Conditional reinitialisation (seed 001, section 3.3): early in training, an SAE whose latents fire too unevenly is
/// given fresh weights and a fresh optimizer state.
/// </summary>
/// <remarks>
/// After each of the first <see cref="Steps"/> steps, the trainer computes each SAE's <see cref="InactivityDeviation"/>
/// on that step's batch (expected frequency: the batch's mean firing frequency, k/h for TopK) and reinitialises every
/// SAE whose deviation exceeds <see cref="Threshold"/>: new tied weights from a seed derived from
/// <see cref="SaeTrainerOptions.Seed"/>, the SAE's index and its reinitialisation count; b_dec set again from the batch
/// as <see cref="SaeTrainerOptions.DecoderBiasInitialization"/> says; AdamW moments and step count and the firing
/// history cleared. Each event is reported through <see cref="TrainingProgress.Reinitializations"/>.
/// </remarks>
public sealed class ReinitializationOptions
{
    /// <summary>M: reinitialisation is checked after each of the first M steps, at least 1. Default 100 (the paper sees the signal "often in the first 100 training steps").</summary>
    public int Steps { get; set; } = 100;

    /// <summary>The deviation measure. Default <see cref="InactivityMeasure.Linear"/> (the paper).</summary>
    public InactivityMeasure Measure { get; set; } = InactivityMeasure.Linear;

    /// <summary>An SAE is reinitialised when its deviation is above this, finite and &gt;= 0. Default 1 (the paper, with the linear measure; the authors' code uses 2.5 with the cubed one).</summary>
    public double Threshold { get; set; } = 1.0;

    /// <summary>A copy of these options.</summary>
    /// <returns>The copy.</returns>
    public ReinitializationOptions Clone() => (ReinitializationOptions)MemberwiseClone();
}
