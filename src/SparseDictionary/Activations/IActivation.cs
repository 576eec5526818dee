namespace SparseDictionary;

/// <summary>
/// The sparsifying nonlinearity sigma of an SAE, z = sigma(pre), applied row by row, with its backward pass.
/// </summary>
/// <remarks>
/// <para>An activation maps one row of pre-activations (length = latent count) to its active latents: distinct indices
/// and their code values. Latents it does not return have code 0 and receive no gradient. This contract is what lets
/// the whole backward pass stay sparse (O(active · d) per row).</para>
/// <para>Implement it to try a new nonlinearity: <see cref="Forward"/> writes the active entries, <see cref="Backward"/>
/// turns the loss gradient with respect to each active code value into the gradient with respect to that entry's
/// pre-activation (the chain rule through sigma at the active entries). Implementations must be deterministic and
/// safe to call from several threads at once (they are called in parallel over rows).</para>
/// </remarks>
public interface IActivation
{
    /// <summary>A short description for reports, e.g. <c>TopK(k=32)</c>.</summary>
    string Name { get; }

    /// <summary>
    /// The largest number of latents <see cref="Forward"/> can return per row for a dictionary of
    /// <paramref name="latentCount"/> latents (the capacity of the sparse codes).
    /// </summary>
    /// <param name="latentCount">Number of latents of the SAE.</param>
    /// <returns>The capacity, in [0, <paramref name="latentCount"/>].</returns>
    /// <exception cref="ArgumentOutOfRangeException">The activation cannot be used with that many latents (e.g. k larger than the latent count).</exception>
    int GetCapacity(int latentCount);

    /// <summary>Computes the active latents of one row.</summary>
    /// <param name="preActivations">The row's pre-activations, W_enc (x - b_dec) + b_enc, one per latent.</param>
    /// <param name="activeIndices">Receives the active latent indices (distinct); its length is the capacity.</param>
    /// <param name="activeValues">Receives the code value of each active latent.</param>
    /// <returns>The number of active latents written.</returns>
    /// <remarks>
    /// The library checks every row before it stores it: the count must be in [0, capacity], the indices in
    /// [0, latent count) and distinct (in any order), the values finite. A row that breaks this contract makes the
    /// encoder throw <see cref="InvalidOperationException"/> naming the activation, the row and the bad value.
    /// </remarks>
    int Forward(ReadOnlySpan<float> preActivations, Span<int> activeIndices, Span<float> activeValues);

    /// <summary>Back-propagates through sigma at one row's active entries.</summary>
    /// <param name="activePreActivations">The pre-activation of each active entry, in <see cref="Forward"/>'s order.</param>
    /// <param name="activeValues">The code value of each active entry.</param>
    /// <param name="gradient">On entry dL/dz for each active entry; on return dL/dpre for that entry.</param>
    void Backward(ReadOnlySpan<float> activePreActivations, ReadOnlySpan<float> activeValues, Span<float> gradient);
}
