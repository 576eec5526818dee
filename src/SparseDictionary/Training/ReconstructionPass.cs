using System.Numerics.Tensors;
using SparseDictionary.Kernels;
using SparseDictionary.Regularization;

namespace SparseDictionary;

/// <summary>
/// One forward and backward pass of an SAE over a batch with its own step buffers: the clean pass of every step, and
/// in denoising training a second pass whose encoder sees the noised batch while the target stays the clean one.
/// </summary>
internal sealed class ReconstructionPass
{
    private readonly float[] _activePreActivations;
    private readonly float[] _codeGradients;
    private readonly double[] _rowErrors;

    public ReconstructionPass(SparseAutoencoder model, int batchSize)
    {
        var d = model.InputDimension;
        Codes = new SparseCodes(batchSize, model.LatentCount, model.Capacity);
        _activePreActivations = new float[batchSize * model.Capacity];
        _codeGradients = new float[batchSize * model.Capacity];
        _rowErrors = new double[batchSize];
        // Cache-line aligned: the weight-gradient pass gathers rows of Centered and OutputGradient.
        Centered = Matrix.CreateAligned(batchSize, d);
        Reconstruction = Matrix.CreateAligned(batchSize, d);
        OutputGradient = Matrix.CreateAligned(batchSize, d);
    }

    public SparseCodes Codes { get; }

    /// <summary>encoderInput - b_dec per row (the input of the encoder product, kept for the encoder gradient).</summary>
    public Matrix Centered { get; }

    public Matrix Reconstruction { get; }

    public Matrix OutputGradient { get; }

    /// <summary>(1/B) Σ_b ||target_b - x_hat_b||² of the last run (unweighted).</summary>
    public double Loss { get; private set; }

    /// <summary>Σ_b ||target_b - x_hat_b||² / Σ_b ||target_b - mean(target)||² of the last run.</summary>
    public double FractionOfVarianceUnexplained { get; private set; }

    /// <summary>
    /// Encodes <paramref name="encoderInput"/>, decodes, and computes the loss (1/B) Σ_b ||target_b - x_hat_b||², the
    /// output gradient weight · (2/B)(x_hat - target) and the gradient of each active code (before the activation's
    /// backward). <paramref name="packingBuffer"/>, when given, is overwritten with the packed W_enc (a buffer that is
    /// dead during the pass).
    /// </summary>
    public void Forward(SparseAutoencoder model, Matrix encoderInput, Matrix target, double targetVariance, float weight, float[]? packingBuffer, DeadLatentRequest? dead)
    {
        var rows = target.Rows;
        var d = model.InputDimension;
        EncoderPass.Run(model, encoderInput, Codes, _activePreActivations, Centered, dead, packingBuffer);

        // Decode, loss, FVU, dL/dx_hat (row errors in double, summed in row order) and each active code's gradient,
        // in one pass per row.
        SparseKernels.DecodeWithLossAndCodeGradients(
            Codes, model.DecoderWeightsBuffer, d, model.DecoderBiasBuffer, target, weight * 2.0f / rows, Reconstruction, OutputGradient, _rowErrors, _codeGradients);
        var totalError = 0.0;
        for (var r = 0; r < rows; r++)
        {
            totalError += _rowErrors[r];
        }

        Loss = totalError / rows;
        FractionOfVarianceUnexplained = targetVariance > 0 ? totalError / targetVariance : double.NaN;
    }

    /// <summary>Σ |z| over the active codes and Σ |δ| over their pre-activation gradients (after the activation's backward).</summary>
    public (double Codes, double CodeGradients) CodeMagnitudes()
    {
        var capacity = Codes.Capacity;
        double codes = 0, gradients = 0;
        for (var r = 0; r < Codes.Rows; r++)
        {
            var count = Codes.Count(r);
            codes += TensorPrimitives.SumOfMagnitudes(Codes.Values(r));
            gradients += TensorPrimitives.SumOfMagnitudes(_codeGradients.AsSpan(r * capacity, count));
        }

        return (codes, gradients);
    }

    /// <summary>
    /// Adds the gradient of the last <see cref="Forward"/>'s weighted loss to <paramref name="gradients"/>, and each
    /// latent's firing count to <paramref name="firingCounts"/> unless it is empty. With
    /// <paramref name="overwriteWeightGradients"/>, the weight gradients are written instead of added to (their old
    /// contents, even NaN, are ignored); the bias gradients are always added to.
    /// </summary>
    public void Backward(SparseAutoencoder model, SaeGradients gradients, Span<long> firingCounts, bool overwriteWeightGradients = false)
    {
        BackwardCodes(model, gradients);
        AccumulateWeights(model, gradients, firingCounts, overwriteWeightGradients);
    }

    /// <summary>
    /// The first half of <see cref="Backward"/>: the output gradient's part of the b_dec gradient and the activation's
    /// backward at every active entry (the pre-activation gradients δ). No weight gradient is formed yet, so the step
    /// guard can check its bounds here, before anything is updated.
    /// </summary>
    public void BackwardCodes(SparseAutoencoder model, SaeGradients gradients)
    {
        var rows = Codes.Rows;
        var biasGradient = gradients.DecoderBiasBuffer.Span;
        for (var r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(biasGradient, OutputGradient.Row(r), biasGradient);
        }

        var capacity = Codes.Capacity;
        ParallelRows.For(rows, (start, end) =>
        {
            for (var r = start; r < end; r++)
            {
                var count = Codes.Count(r);
                model.Activation.Backward(
                    _activePreActivations.AsSpan(r * capacity, count), Codes.Values(r), _codeGradients.AsSpan(r * capacity, count));
            }
        });
    }

    /// <summary>The second half of <see cref="Backward"/>: the weight gradients (and the rest of the bias gradients), latent by latent.</summary>
    public void AccumulateWeights(SparseAutoencoder model, SaeGradients gradients, Span<long> firingCounts, bool overwriteWeightGradients) =>
        SparseWeightGradients.Accumulate(WeightGradientInputs(model), gradients.Buffers, firingCounts, overwriteWeightGradients);

    /// <summary>
    /// The second half of <see cref="Backward"/> for the fused update: the bias gradients and firing counts are added,
    /// then each latent's two weight-gradient rows (this pass's alone) are handed to <paramref name="latentCompleted"/>;
    /// the weight-gradient arrays of <paramref name="gradients"/> are left unspecified
    /// (<see cref="SparseWeightGradients.ForEachLatent"/>).
    /// </summary>
    public void ForEachLatentWeightGradients(SparseAutoencoder model, SaeGradients gradients, Span<long> firingCounts, SparseWeightGradients.LatentGradientRows latentCompleted) =>
        SparseWeightGradients.ForEachLatent(WeightGradientInputs(model), gradients.Buffers, firingCounts, latentCompleted);

    /// <summary>What this pass's weight gradients are computed from: its codes, pre-activation gradients, output gradient and centred input, and the model's W_enc.</summary>
    private WeightGradientInputs WeightGradientInputs(SparseAutoencoder model) => new(Codes, _codeGradients, OutputGradient, Centered, model.EncoderWeightsBuffer);
}
