namespace SparseDictionary;

/// <summary>The folder layouts an SAE can be saved in and loaded from.</summary>
public enum SaeFileLayout
{
    /// <summary>The library's own: <c>sparse_dictionary.json</c> (dimensions, activation and its parameters, library version) and <c>weights.safetensors</c>.</summary>
    Native,

    /// <summary>SAELens: <c>cfg.json</c> and <c>sae_weights.safetensors</c> (W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc, b_dec).</summary>
    SaeLens,

    /// <summary>EleutherAI's sparsify: <c>cfg.json</c> and <c>sae.safetensors</c> (encoder.weight [latents, d], encoder.bias, W_dec [latents, d], b_dec).</summary>
    Sparsify,
}
