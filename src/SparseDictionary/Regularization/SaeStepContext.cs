using System.Buffers;
using SparseDictionary.Kernels;

namespace SparseDictionary.Regularization;

/// <summary>
/// One SAE's forward pass in the current step, its gradient accumulators, and sparse helpers that let a regularizer
/// back-propagate through extra codes without ever forming a dense rows x latents matrix.
/// </summary>
public sealed class SaeStepContext
{
    private readonly Matrix _centeredInput;

    internal SaeStepContext(SparseAutoencoder model, Matrix encoderInput, Matrix centeredInput, SparseCodes codes, Matrix reconstruction, SaeGradients gradients)
    {
        Model = model;
        EncoderInput = encoderInput;
        _centeredInput = centeredInput;
        Codes = codes;
        Reconstruction = reconstruction;
        Gradients = gradients;
    }

    /// <summary>The SAE being trained (its weights before this step's update).</summary>
    public SparseAutoencoder Model { get; }

    /// <summary>The rows the encoder saw in this pass: the clean input batch (in denoising training the noised pass is separate and only adds its gradient).</summary>
    public Matrix EncoderInput { get; }

    /// <summary>The active codes of this step.</summary>
    public SparseCodes Codes { get; }

    /// <summary>The reconstruction x_hat = W_dec^T z + b_dec of each row.</summary>
    public Matrix Reconstruction { get; }

    /// <summary>The gradient accumulators; they already hold the reconstruction term's gradient.</summary>
    public SaeGradients Gradients { get; }

    /// <summary>
    /// When a regularizer asked for a <see cref="Regularization.DeadLatentSelection"/>: per row, the largest positive
    /// pre-activations among the dead latents (null otherwise).
    /// </summary>
    public SparseCodes? DeadLatentCodes { get; internal set; }

    /// <summary>Number of dead latents (under the requested window) at the start of this step; 0 when none was requested.</summary>
    public int DeadLatentCount { get; internal set; }

    /// <summary>This SAE's reconstruction loss on the clean batch, (1/B) Σ_b ||x_b - x_hat_b||² (unweighted).</summary>
    public double ReconstructionLoss { get; internal set; }

    /// <summary>
    /// How many times the trainer has reinitialised this SAE in the current run (see
    /// <see cref="ReinitializationOptions"/>); a regularizer that caches anything about the weights must drop
    /// it when this changes.
    /// </summary>
    public int ReinitializationCount { get; internal set; }

    /// <summary>Decodes codes through this SAE's decoder: destination[b] = Σ_j z_bj W_dec[i_bj] (+ b_dec when <paramref name="addDecoderBias"/>).</summary>
    /// <param name="codes">Codes over this SAE's latents, one row per batch row.</param>
    /// <param name="destination">A rows x d matrix; overwritten.</param>
    /// <param name="addDecoderBias">Whether to add b_dec.</param>
    public void Decode(SparseCodes codes, Matrix destination, bool addDecoderBias)
    {
        CheckCodes(codes);
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Rows != codes.Rows || destination.Columns != Model.InputDimension)
        {
            throw new ArgumentException($"The destination is {destination.Rows} x {destination.Columns} but must be {codes.Rows} x {Model.InputDimension}.", nameof(destination));
        }

        SparseKernels.Decode(codes, Model.DecoderWeightsBuffer, Model.InputDimension, addDecoderBias ? Model.DecoderBiasBuffer : ReadOnlyMemory<float>.Empty, destination);
    }

    /// <summary>
    /// Back-propagates a loss gradient through codes that were selected from this SAE's own pre-activations
    /// (pre = W_enc (x - b_dec) + b_enc with derivative 1 at the active entries, as for TopK- or ReLU-selected latents,
    /// e.g. <see cref="DeadLatentCodes"/>) and decoded without bias. Adds to the accumulators:
    /// dW_dec[i] += z_bi g_b; with c_bi = W_dec[i] · g_b: dW_enc[i] += c_bi (x_b - b_dec), db_enc[i] += c_bi, db_dec -= c_bi W_enc[i].
    /// </summary>
    /// <param name="codes">The codes (rows = batch rows).</param>
    /// <param name="outputGradient">g: the loss gradient with respect to the decoded output, rows x d.</param>
    public void BackpropagateSelectedCodes(SparseCodes codes, Matrix outputGradient)
    {
        CheckCodes(codes);
        ArgumentNullException.ThrowIfNull(outputGradient);
        if (outputGradient.Rows != codes.Rows || outputGradient.Columns != Model.InputDimension)
        {
            throw new ArgumentException($"The output gradient is {outputGradient.Rows} x {outputGradient.Columns} but must be {codes.Rows} x {Model.InputDimension}.", nameof(outputGradient));
        }

        var codeGradients = ArrayPool<float>.Shared.Rent(codes.Rows * codes.Capacity);
        try
        {
            SparseKernels.CodeGradients(codes, Model.DecoderWeightsBuffer, Model.InputDimension, outputGradient, codeGradients);
            SparseWeightGradients.Accumulate(new(codes, codeGradients, outputGradient, _centeredInput, Model.EncoderWeightsBuffer), Gradients.Buffers, default);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(codeGradients);
        }
    }

    private void CheckCodes(SparseCodes codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (codes.LatentCount != Model.LatentCount || codes.Rows != EncoderInput.Rows)
        {
            throw new ArgumentException($"The codes are {codes.Rows} rows over {codes.LatentCount} latents but this step has {EncoderInput.Rows} rows over {Model.LatentCount} latents.", nameof(codes));
        }
    }
}
