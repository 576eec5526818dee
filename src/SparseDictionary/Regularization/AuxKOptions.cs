namespace SparseDictionary;

/// <summary>Options of <see cref="AuxKRegularizer"/>.</summary>
public sealed class AuxKOptions
{
    /// <summary>k_aux: dead latents used per row to model the residual. Default 256 (Gao et al. used 512 at d = 768; about d/2 is the usual choice).</summary>
    public int KAux { get; set; } = 256;

    /// <summary>alpha: weight of the auxiliary term. Default 1/32 (Gao et al. 2024).</summary>
    public float Coefficient { get; set; } = 1f / 32;

    /// <summary>A latent is dead when it has not fired for at least this many training tokens. Default 10,000,000 (Gao et al. 2024).</summary>
    public long DeadWindowTokens { get; set; } = 10_000_000;
}
