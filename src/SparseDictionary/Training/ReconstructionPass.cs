using System.Numerics.Tensors;
using SparseDictionary.Kernels;
using SparseDictionary.Modeling;
using SparseDictionary.Regularization;
using SparseDictionary.Tensors;

namespace SparseDictionary.Training;

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
        Centered = new Matrix(batchSize, d);
        Reconstruction = new Matrix(batchSize, d);
        OutputGradient = new Matrix(batchSize, d);
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
    /// Encodes <paramref name="encoderInput"/>, decodes, and adds the gradient of weight · (1/B) Σ_b ||target_b - x_hat_b||²
    /// to <paramref name="gradients"/>. Adds each latent's firing count to <paramref name="firingCounts"/> unless it is empty.
    /// </summary>
    public void Run(SparseAutoencoder model, Matrix encoderInput, Matrix target, double targetVariance, float weight, SaeGradients gradients, Span<long> firingCounts, DeadLatentRequest? dead)
    {
        var rows = target.Rows;
        var d = model.InputDimension;
        EncoderPass.Run(model, encoderInput, Codes, _activePreActivations, Centered, dead);
        SparseKernels.Decode(Codes, model.DecoderWeightsArray, d, model.DecoderBiasArray, Reconstruction);

        // Loss, FVU and dL/dx_hat = weight · (2/B)(x_hat - x), in double per row, summed in row order.
        var rowErrors = _rowErrors;
        var scale = weight * 2.0f / rows;
        SparseKernels.ParallelRows(rows, (start, end) =>
        {
            for (var r = start; r < end; r++)
            {
                var x = target.Row(r);
                var xHat = Reconstruction.Row(r);
                var g = OutputGradient.Row(r);
                var sum = 0.0;
                for (var c = 0; c < d; c++)
                {
                    var diff = xHat[c] - x[c];
                    sum += (double)diff * diff;
                    g[c] = scale * diff;
                }

                rowErrors[r] = sum;
            }
        });

        var totalError = 0.0;
        for (var r = 0; r < rows; r++)
        {
            totalError += rowErrors[r];
        }

        Loss = totalError / rows;
        FractionOfVarianceUnexplained = targetVariance > 0 ? totalError / targetVariance : double.NaN;

        var biasGradient = gradients.DecoderBiasArray;
        for (var r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(biasGradient, OutputGradient.Row(r), biasGradient);
        }

        SparseKernels.CodeGradients(Codes, model.DecoderWeightsArray, d, OutputGradient, _codeGradients);
        var capacity = Codes.Capacity;
        SparseKernels.ParallelRows(rows, (start, end) =>
        {
            for (var r = start; r < end; r++)
            {
                var count = Codes.Count(r);
                model.Activation.Backward(
                    _activePreActivations.AsSpan(r * capacity, count), Codes.Values(r), _codeGradients.AsSpan(r * capacity, count));
            }
        });

        SparseKernels.AccumulateWeightGradients(
            Codes, _codeGradients, OutputGradient, Centered, model.EncoderWeightsArray,
            gradients.DecoderWeightsArray, gradients.EncoderWeightsArray, gradients.EncoderBiasArray, gradients.DecoderBiasArray, firingCounts);
    }
}
