
namespace SparseDictionary;

/// <summary>
/// An input perturbation for denoising training (seed 000, "Beyond Sparsity: Improving Diversity in Sparse
/// Autoencoders via Denoising Training"): the encoder sees the noised batch, the loss compares with the clean batch.
/// </summary>
/// <remarks>
/// <para>Implementations write the noised rows into a separate destination and never modify the clean batch, so the
/// source's data is not copied or changed (the trainer owns one reusable destination buffer).</para>
/// <para>The noise must be a deterministic function of the noiser's seed, the step and the row index (not of thread
/// scheduling or of earlier calls), so that training runs are reproducible and a step can be recomputed.</para>
/// </remarks>
public interface INoiser
{
    /// <summary>A short name for progress reports and tables, e.g. <c>Dropout(0.1)</c>.</summary>
    string Name { get; }

    /// <summary>Writes the noised copy of <paramref name="clean"/> into <paramref name="destination"/>.</summary>
    /// <param name="clean">The clean batch (rows x d); read only.</param>
    /// <param name="destination">A matrix of the same shape; overwritten. Must not share memory with <paramref name="clean"/>.</param>
    /// <param name="step">The 0-based training step; together with the row index and the seed it fixes the noise.</param>
    void Apply(Matrix clean, Matrix destination, long step);
}
