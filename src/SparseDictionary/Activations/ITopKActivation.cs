namespace SparseDictionary;

/// <summary>
/// An activation that keeps, in each row, the <see cref="K"/> largest pre-activations (ties toward the lower latent
/// index) and then drops the survivors that are not positive, returns the kept entries in increasing latent order, and
/// passes the gradient through them unchanged: the contract of <see cref="TopKActivation"/>.
/// </summary>
/// <remarks>
/// Declaring this capability lets the library treat a user-written activation as TopK where only the contract
/// matters: the encoder may select the k largest entries while it streams a row's pre-activations in column chunks
/// (never storing a whole row of a large dictionary) instead of calling <see cref="IActivation.Forward"/>, and metrics
/// take k as the expected number of active latents. An activation whose <see cref="IActivation.Forward"/> or
/// <see cref="IActivation.Backward"/> does anything else must not declare it.
/// </remarks>
public interface ITopKActivation : IActivation
{
    /// <summary>Number of latents kept per row, at least 1.</summary>
    int K { get; }
}
