using SparseDictionary.Regularization;

namespace SparseDictionary;

/// <summary>
/// The loss of one batch and the exact gradient of every parameter of every SAE, from
/// <see cref="SaeTrainer.ComputeGradients(IReadOnlyList{SparseAutoencoder}, Matrix)"/>.
/// </summary>
/// <param name="Loss">The total loss: Σ over SAEs of (1/B) Σ_b ||x_b - x_hat_b||² (plus beta times the denoising term) plus every regularizer term.</param>
/// <param name="RegularizerLosses">Each regularizer's term, by name.</param>
/// <param name="Gradients">Per SAE, in order: ∂Loss/∂W_enc, ∂Loss/∂b_enc, ∂Loss/∂W_dec, ∂Loss/∂b_dec (the raw gradient, before the trainer removes each decoder row's radial component).</param>
public sealed record BatchGradients(double Loss, IReadOnlyDictionary<string, double> RegularizerLosses, IReadOnlyList<SaeGradients> Gradients)
{
    /// <summary>The loss and the gradients.</summary>
    /// <param name="loss">The total loss.</param>
    /// <param name="gradients">The gradients per SAE.</param>
    public void Deconstruct(out double loss, out IReadOnlyList<SaeGradients> gradients)
    {
        loss = Loss;
        gradients = Gradients;
    }
}
