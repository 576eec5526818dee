using SparseDictionary.Regularization;
namespace SparseDictionary;

/// <summary>
/// An extra term of the training loss with its exact gradient, e.g. <see cref="AuxKRegularizer"/> (dead latents) or a
/// penalty across several SAEs trained together.
/// </summary>
/// <remarks>
/// The trainer calls <see cref="Apply"/> once per step, after the forward pass and the reconstruction gradient of every
/// SAE and before the optimizer update. The regularizer returns its (weighted) loss and adds its gradient into the
/// accumulators of <see cref="SaeStepContext.Gradients"/>, usually through the sparse helpers of <see cref="SaeStepContext"/>.
/// Implementations may keep state across steps (the trainer calls <see cref="Reset"/> at the start of each training run).
/// </remarks>
public interface IRegularizer
{
    /// <summary>A short name for progress reports, e.g. <c>AuxK</c>.</summary>
    string Name { get; }

    /// <summary>
    /// The dead-latent pre-activations the encoder pass must extract for this regularizer, or null for none.
    /// All regularizers of one trainer that ask must ask for the same selection.
    /// </summary>
    DeadLatentSelection? DeadLatentSelection { get; }

    /// <summary>Called at the start of each training run to clear any state kept across steps.</summary>
    void Reset();

    /// <summary>
    /// Called once at the start of a training run, before anything is changed, with the SAEs to be trained: throw an
    /// <see cref="ArgumentException"/> when the term cannot work with them (e.g. it compares SAEs and there is one).
    /// The default accepts any SAEs.
    /// </summary>
    /// <param name="saes">The SAEs of the run, in order.</param>
    void Validate(IReadOnlyList<SparseAutoencoder> saes)
    {
    }

    /// <summary>Computes the term for this step and adds its gradient.</summary>
    /// <param name="context">The step: every SAE's forward pass and gradient accumulators.</param>
    /// <returns>The term's contribution to the loss, summed over SAEs (its coefficient applied). Must be finite.</returns>
    double Apply(RegularizerContext context);
}
