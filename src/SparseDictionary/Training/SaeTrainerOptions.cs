
namespace SparseDictionary;

/// <summary>
/// Options of <see cref="SaeTrainer"/>. Every option has a documented default; <see cref="SaeTrainerOptionsValidator"/>
/// checks them once when a trainer is created and names any bad option and its value.
/// </summary>
public sealed class SaeTrainerOptions
{
    /// <summary>Peak AdamW learning rate. Default 5e-4.</summary>
    public float LearningRate { get; set; } = 5e-4f;

    /// <summary>AdamW first-moment decay beta1, in [0, 1). Default 0.9.</summary>
    public float Beta1 { get; set; } = 0.9f;

    /// <summary>AdamW second-moment decay beta2, in [0, 1). Default 0.999.</summary>
    public float Beta2 { get; set; } = 0.999f;

    /// <summary>AdamW denominator floor epsilon, &gt; 0. Default 1e-8.</summary>
    public float Epsilon { get; set; } = 1e-8f;

    /// <summary>Decoupled weight decay of the encoder and decoder weights (not the biases), &gt;= 0. Default 0.</summary>
    public float WeightDecay { get; set; }

    /// <summary>Rows (tokens) per step. Default 4096.</summary>
    public int BatchSize { get; set; } = 4096;

    /// <summary>Token budget: the run takes floor(TotalTokens / BatchSize) steps; at least one batch. Default 10,000,000.</summary>
    public long TotalTokens { get; set; } = 10_000_000;

    /// <summary>Steps of linear learning-rate warm-up from lr/WarmupSteps to lr. Default 0 (none).</summary>
    public int WarmupSteps { get; set; }

    /// <summary>Share of the run, at its end, over which the learning rate decays linearly to 0, in [0, 1]. Default 0.2.</summary>
    public double DecayFraction { get; set; } = 0.2;

    /// <summary>How b_dec is set from the first batch before training. Default <see cref="DecoderBiasInitialization.GeometricMedian"/>; use None to continue training an SAE.</summary>
    public DecoderBiasInitialization DecoderBiasInitialization { get; set; } = DecoderBiasInitialization.GeometricMedian;

    /// <summary>A latent counts as dead in progress reports when it has not fired for this many tokens. Default 10,000,000.</summary>
    public long DeadLatentWindowTokens { get; set; } = 10_000_000;

    /// <summary>Progress is reported every this many steps, and after the last step. Default 10.</summary>
    public int ProgressIntervalSteps { get; set; } = 10;

    /// <summary>
    /// beta: weight of the denoising term when the trainer has an <see cref="INoiser"/>, finite and &gt;= 0.
    /// The loss per SAE is ||x - x_hat||² + beta · ||x - x_hat_noised||² (seed 000 as DESIGN.md reads it). Default 1.
    /// </summary>
    public float DenoisingWeight { get; set; } = 1f;

    /// <summary>Conditional reinitialisation of SAEs whose latents fire unevenly early in training (seed 001); null (default) for none.</summary>
    public ReinitializationOptions? Reinitialization { get; set; }

    /// <summary>
    /// Whether the trainer reads the next batch on a background thread while a step runs
    /// (<see cref="PrefetchingActivationSource"/>), so that reading files overlaps with computing. Default true. Sources
    /// whose rows are already in memory or computed on the fly (<see cref="InMemoryActivationSource"/>,
    /// <see cref="SyntheticFeatureSource"/>) and sources that already prefetch are read directly. The rows, and so
    /// the weights, are the same either way.
    /// </summary>
    public bool PrefetchSource { get; set; } = true;

    /// <summary>Where and how often checkpoints are written; null (default) for none.</summary>
    public CheckpointOptions? Checkpoints { get; set; }

    /// <summary>Seed of the trainer's own random draws (the weights of reinitialised SAEs). Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>Number of steps the options give: floor(TotalTokens / BatchSize).</summary>
    public long Steps => BatchSize > 0 ? TotalTokens / BatchSize : 0;

    /// <summary>A copy of these options.</summary>
    /// <returns>The copy.</returns>
    public SaeTrainerOptions Clone()
    {
        var copy = (SaeTrainerOptions)MemberwiseClone();
        copy.Reinitialization = Reinitialization?.Clone();
        copy.Checkpoints = Checkpoints?.Clone();
        return copy;
    }
}
