namespace SparseDictionary;

/// <summary>How <see cref="InactivityDeviation"/> averages each latent's relative deviation from the expected firing frequency.</summary>
public enum InactivityMeasure
{
    /// <summary>D = (1/h) Σ_i |f_i - p| / p: the measure of seed 001's paper (threshold 1 there).</summary>
    Linear,

    /// <summary>D³ = (1/h) Σ_i (|f_i - p| / p)³: the measure of the code of seed 001's authors (threshold 2.5 there).</summary>
    Cubed,
}
