using SparseDictionary.Regularization;

namespace SparseDictionary;

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
/// <para>An instance keeps scratch buffers between steps: give each concurrent training run its own instance.</para>
/// </remarks>
public sealed class AuxKRegularizer : IRegularizer
{
    private Matrix? _residual;
    private Matrix? _estimate;

    /// <summary>Creates the regularizer from options.</summary>
    /// <param name="options">k_aux, coefficient and dead window; null for the defaults.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is out of range; the message names it, its value and the range (<see cref="AuxKOptionsValidator"/>).</exception>
    public AuxKRegularizer(AuxKOptions? options = null)
    {
        options = OptionsFailures.ThrowIfInvalid(new AuxKOptionsValidator(), options ?? new AuxKOptions());
        KAux = options.KAux;
        Coefficient = options.Coefficient;
        DeadWindowTokens = options.DeadWindowTokens;
    }

    /// <summary>Creates the regularizer from options bound through Microsoft.Extensions.Options.</summary>
    /// <param name="options">The options accessor.</param>
    public AuxKRegularizer(Microsoft.Extensions.Options.IOptions<AuxKOptions> options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value)
    {
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
        _residual = null;
        _estimate = null;
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
        var residual = Rent(ref _residual, rows, d);
        var estimate = Rent(ref _estimate, rows, d);

        // e = x - x_hat, and its variance around the batch mean Σ_b ||e_b - mean(e)||², in two passes in double (the mean
        // first, then the squared deviations): the one-pass Σ ||e||² - B ||mean(e)||² cancels when e has a large offset.
        var residualMean = new double[d];
        var x = input.Span;
        var xHat = sae.Reconstruction.Span;
        var e = residual.Span;
        for (var i = 0; i < e.Length; i++)
        {
            e[i] = x[i] - xHat[i];
            residualMean[i % d] += e[i];
        }

        for (var c = 0; c < d; c++)
        {
            residualMean[c] /= rows;
        }

        var variance = 0.0;
        for (var i = 0; i < e.Length; i++)
        {
            var deviation = e[i] - residualMean[i % d];
            variance += deviation * deviation;
        }

        if (!(variance > 0))
        {
            return 0;
        }

        sae.Decode(deadCodes, estimate, addDecoderBias: false);
        var eHat = estimate.Span;
        var error = 0.0;
        var gradientScale = (float)(2 * Coefficient / variance);
        for (var i = 0; i < e.Length; i++)
        {
            var diff = eHat[i] - e[i];
            error += (double)diff * diff;
            eHat[i] = gradientScale * diff;
        }

        sae.BackpropagateSelectedCodes(deadCodes, estimate);
        return Coefficient * error / variance;
    }

    private static Matrix Rent(ref Matrix? buffer, int rows, int columns)
    {
        if (buffer is null || buffer.Rows != rows || buffer.Columns != columns)
        {
            buffer = Matrix.CreateAligned(rows, columns);
        }

        return buffer;
    }
}
