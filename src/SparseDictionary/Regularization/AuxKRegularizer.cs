using SparseDictionary.Tensors;

namespace SparseDictionary.Regularization;

/// <summary>
/// AuxK (Gao et al. 2024, "Scaling and evaluating sparse autoencoders", section 2.4): the k_aux largest pre-activations
/// among dead latents must reconstruct what the SAE left over, which gives dead latents a gradient and revives them.
/// </summary>
/// <remarks>
/// <para>With e_b = x_b - x_hat_b the residual of row b (a constant: no gradient flows into the main path through it),
/// z_aux the ReLU'd top-k_aux pre-activations among dead latents and e_hat_b = W_dec^T z_aux,b (no b_dec, which
/// x_hat already holds):</para>
/// <para>L_aux = alpha · Σ_b ||e_b - e_hat_b||² / Σ_b ||e_b - mean(e)||²,</para>
/// <para>the fraction of the residual's variance the dead latents leave unexplained (the denominator is a constant),
/// scaled by alpha. The term is 0 when no latent is dead or the residual has no variance.</para>
/// </remarks>
public sealed class AuxKRegularizer : IRegularizer
{
    /// <summary>Creates the regularizer from options.</summary>
    /// <param name="options">k_aux, coefficient and dead window; null for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it and its value.</exception>
    public AuxKRegularizer(AuxKOptions? options = null)
    {
        options ??= new AuxKOptions();
        if (options.KAux < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.KAux, $"AuxKOptions.KAux must be at least 1 but is {options.KAux}.");
        }

        if (!float.IsFinite(options.Coefficient) || options.Coefficient < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Coefficient, $"AuxKOptions.Coefficient must be finite and >= 0 but is {options.Coefficient}.");
        }

        if (options.DeadWindowTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.DeadWindowTokens, $"AuxKOptions.DeadWindowTokens must be at least 1 but is {options.DeadWindowTokens}.");
        }

        KAux = options.KAux;
        Coefficient = options.Coefficient;
        DeadWindowTokens = options.DeadWindowTokens;
    }

    /// <summary>Dead latents used per row.</summary>
    public int KAux { get; }

    /// <summary>Weight alpha of the term.</summary>
    public float Coefficient { get; }

    /// <summary>Tokens without firing after which a latent counts as dead.</summary>
    public long DeadWindowTokens { get; }

    /// <inheritdoc />
    public string Name => "AuxK";

    /// <inheritdoc />
    public DeadLatentSelection? DeadLatentSelection => new(KAux, DeadWindowTokens);

    /// <inheritdoc />
    public void Reset()
    {
    }

    /// <inheritdoc />
    public double Apply(RegularizerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var total = 0.0;
        foreach (var sae in context.Saes)
        {
            total += Apply(context.Input, sae);
        }

        return total;
    }

    private double Apply(Matrix input, SaeStepContext sae)
    {
        var deadCodes = sae.DeadLatentCodes;
        if (deadCodes is null || deadCodes.TotalActive == 0 || Coefficient == 0)
        {
            return 0;
        }

        var rows = input.Rows;
        var d = input.Columns;
        var residual = new double[rows * d];
        var residualMean = new double[d];
        var x = input.Span;
        var xHat = sae.Reconstruction.Span;
        for (var i = 0; i < residual.Length; i++)
        {
            residual[i] = (double)x[i] - xHat[i];
            residualMean[i % d] += residual[i];
        }

        var variance = 0.0;
        for (var i = 0; i < residual.Length; i++)
        {
            var centered = residual[i] - (residualMean[i % d] / rows);
            variance += centered * centered;
        }

        if (variance == 0)
        {
            return 0;
        }

        var estimate = new Matrix(rows, d);
        sae.Decode(deadCodes, estimate, addDecoderBias: false);
        var e = estimate.Span;
        var error = 0.0;
        var gradientScale = 2 * Coefficient / variance;
        for (var i = 0; i < residual.Length; i++)
        {
            var diff = e[i] - residual[i];
            error += diff * diff;
            e[i] = (float)(gradientScale * diff);
        }

        sae.BackpropagateSelectedCodes(deadCodes, estimate);
        return Coefficient * error / variance;
    }
}
