namespace SparseDictionary.Regularization;

/// <summary>
/// A regularizer's request that the encoder pass also keep, per row, the <paramref name="TopK"/> largest positive
/// pre-activations among the dead latents (no firing in the last <paramref name="WindowTokens"/> tokens).
/// </summary>
/// <param name="TopK">Dead latents kept per row (k_aux), at least 1.</param>
/// <param name="WindowTokens">A latent is dead when it has not fired for at least this many training tokens.</param>
public readonly record struct DeadLatentSelection(int TopK, long WindowTokens);
