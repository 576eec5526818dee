using System.Numerics.Tensors;
using SparseDictionary.Kernels;
using SparseDictionary.Modeling;
using SparseDictionary.Regularization;
using SparseDictionary.Tensors;

namespace SparseDictionary.Training;

/// <summary>
/// Everything one SAE needs during a run: step buffers sized for the batch, gradient accumulators, AdamW moments and
/// the firing statistics that decide which latents are dead.
/// </summary>
internal sealed class SaeTrainingState
{
    private readonly float[] _activePreActivations;
    private readonly float[] _codeGradients;
    private readonly float[][] _firstMoments;
    private readonly float[][] _secondMoments;

    public SaeTrainingState(SparseAutoencoder model, int batchSize, DeadLatentSelection? deadSelection)
    {
        Model = model;
        var d = model.InputDimension;
        var h = model.LatentCount;
        Codes = new SparseCodes(batchSize, h, model.Capacity);
        _activePreActivations = new float[batchSize * model.Capacity];
        _codeGradients = new float[batchSize * model.Capacity];
        Centered = new Matrix(batchSize, d);
        Reconstruction = new Matrix(batchSize, d);
        OutputGradient = new Matrix(batchSize, d);
        Gradients = new SaeGradients(h, d);
        DeadSelection = deadSelection;
        if (deadSelection is { } selection)
        {
            DeadCodes = new SparseCodes(batchSize, h, Math.Min(selection.TopK, h));
        }

        TokensSinceFired = new long[h];
        StepFiringCounts = new long[h];
        _firstMoments = [new float[h * d], new float[h], new float[h * d], new float[d]];
        _secondMoments = [new float[h * d], new float[h], new float[h * d], new float[d]];
    }

    public SparseAutoencoder Model { get; }

    public SparseCodes Codes { get; }

    public Matrix Centered { get; }

    public Matrix Reconstruction { get; }

    public Matrix OutputGradient { get; }

    public SaeGradients Gradients { get; }

    public DeadLatentSelection? DeadSelection { get; }

    public SparseCodes? DeadCodes { get; }

    /// <summary>Per latent: tokens since it last fired (reset to 0 in a step where it fires).</summary>
    public long[] TokensSinceFired { get; }

    /// <summary>Per latent: rows of the current step in which it fired.</summary>
    public long[] StepFiringCounts { get; }

    /// <summary>Figures of the last forward pass.</summary>
    public double ReconstructionLoss { get; private set; }

    /// <summary>Figures of the last forward pass.</summary>
    public double FractionOfVarianceUnexplained { get; private set; }

    /// <summary>
    /// Forward pass and the reconstruction term's gradient, L_rec = (1/B) Σ_b ||x_b - x_hat_b||², into the cleared
    /// accumulators. <paramref name="encoderInput"/> is what the encoder sees; <paramref name="target"/> what it must
    /// reconstruct, with <paramref name="targetVariance"/> = Σ_b ||x_b - mean(x)||² (shared by all SAEs of a step).
    /// </summary>
    public SaeStepContext ForwardBackward(Matrix encoderInput, Matrix target, double targetVariance)
    {
        var rows = target.Rows;
        var d = Model.InputDimension;
        DeadLatentRequest? request = null;
        var deadCount = 0;
        if (DeadSelection is { } selection && DeadCodes is not null)
        {
            var dead = DeadLatents(selection.WindowTokens);
            deadCount = dead.Length;
            if (dead.Length > 0)
            {
                request = new DeadLatentRequest(dead, DeadCodes);
            }
            else
            {
                for (var r = 0; r < rows; r++)
                {
                    DeadCodes.SetCount(r, 0);
                }
            }
        }

        EncoderPass.Run(Model, encoderInput, Codes, _activePreActivations, Centered, request);
        SparseKernels.Decode(Codes, Model.DecoderWeightsArray, d, Model.DecoderBiasArray, Reconstruction);

        // Loss, FVU and dL/dx_hat = (2/B)(x_hat - x), in double per row, summed in row order.
        var rowErrors = new double[rows];
        var scale = 2.0f / rows;
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
        foreach (var e in rowErrors)
        {
            totalError += e;
        }

        ReconstructionLoss = totalError / rows;
        FractionOfVarianceUnexplained = targetVariance > 0 ? totalError / targetVariance : double.NaN;

        Gradients.Clear();
        var biasGradient = Gradients.DecoderBiasArray;
        for (var r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(biasGradient, OutputGradient.Row(r), biasGradient);
        }

        SparseKernels.CodeGradients(Codes, Model.DecoderWeightsArray, d, OutputGradient, _codeGradients);
        var capacity = Codes.Capacity;
        SparseKernels.ParallelRows(rows, (start, end) =>
        {
            for (var r = start; r < end; r++)
            {
                var count = Codes.Count(r);
                Model.Activation.Backward(
                    _activePreActivations.AsSpan(r * capacity, count), Codes.Values(r), _codeGradients.AsSpan(r * capacity, count));
            }
        });

        Array.Clear(StepFiringCounts);
        SparseKernels.AccumulateWeightGradients(
            Codes, _codeGradients, OutputGradient, Centered, Model.EncoderWeightsArray,
            Gradients.DecoderWeightsArray, Gradients.EncoderWeightsArray, Gradients.EncoderBiasArray, Gradients.DecoderBiasArray, StepFiringCounts);

        return new SaeStepContext(Model, encoderInput, Centered, Codes, Reconstruction, Gradients)
        {
            DeadLatentCodes = DeadCodes,
            DeadLatentCount = deadCount,
        };
    }

    /// <summary>Projects the decoder gradient onto the rows' tangent space, applies AdamW, renormalises decoder rows, and updates firing statistics.</summary>
    public void Update(long step, float learningRate, SaeTrainerOptions options, int batchRows)
    {
        var d = Model.InputDimension;
        var h = Model.LatentCount;
        var path = KernelPaths.Current;
        RowKernels.RemoveParallelComponent(Gradients.DecoderWeightsArray, Model.DecoderWeightsArray, h, d);
        var weights = AdamWStep.ForStep(step + 1, learningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
        var biases = weights with { WeightDecay = 0 };
        AdamW.Update(Model.EncoderWeightsArray, Gradients.EncoderWeightsArray, _firstMoments[0], _secondMoments[0], weights, path);
        AdamW.Update(Model.EncoderBiasArray, Gradients.EncoderBiasArray, _firstMoments[1], _secondMoments[1], biases, path);
        AdamW.Update(Model.DecoderWeightsArray, Gradients.DecoderWeightsArray, _firstMoments[2], _secondMoments[2], weights, path);
        AdamW.Update(Model.DecoderBiasArray, Gradients.DecoderBiasArray, _firstMoments[3], _secondMoments[3], biases, path);
        RowKernels.NormalizeRows(Model.DecoderWeightsArray, h, d);

        for (var i = 0; i < h; i++)
        {
            TokensSinceFired[i] = StepFiringCounts[i] > 0 ? 0 : TokensSinceFired[i] + batchRows;
        }
    }

    /// <summary>Share of latents that have not fired for <paramref name="windowTokens"/> tokens (0 until that many tokens were seen).</summary>
    public double DeadFraction(long windowTokens, long tokensSeen)
    {
        if (tokensSeen < windowTokens)
        {
            return 0;
        }

        var dead = 0;
        foreach (var t in TokensSinceFired)
        {
            if (t >= windowTokens)
            {
                dead++;
            }
        }

        return (double)dead / TokensSinceFired.Length;
    }

    private int[] DeadLatents(long windowTokens)
    {
        var dead = new List<int>();
        for (var i = 0; i < TokensSinceFired.Length; i++)
        {
            if (TokensSinceFired[i] >= windowTokens)
            {
                dead.Add(i);
            }
        }

        return [.. dead];
    }

    /// <summary>
    /// Σ_b ||x_b - mean(x)||² = Σ_b ||x_b||² - B ||mean(x)||², from column sums and squared norms accumulated in double
    /// over fixed blocks of rows (parallel and deterministic).
    /// </summary>
    internal static double TotalVariance(Matrix x)
    {
        const int blockRows = 64;
        var d = x.Columns;
        var blocks = (x.Rows + blockRows - 1) / blockRows;
        var columnSums = new double[blocks * d];
        var squares = new double[blocks];
        SparseKernels.ParallelRows(blocks, (first, last) =>
        {
            for (var block = first; block < last; block++)
            {
                var sums = columnSums.AsSpan(block * d, d);
                var end = Math.Min(x.Rows, (block + 1) * blockRows);
                for (var r = block * blockRows; r < end; r++)
                {
                    var row = x.Row(r);
                    squares[block] += System.Numerics.Tensors.TensorPrimitives.SumOfSquares(row);
                    for (var c = 0; c < d; c++)
                    {
                        sums[c] += row[c];
                    }
                }
            }
        });

        var total = squares.Sum();
        var meanSquared = 0.0;
        for (var c = 0; c < d; c++)
        {
            var sum = 0.0;
            for (var block = 0; block < blocks; block++)
            {
                sum += columnSums[(block * d) + c];
            }

            meanSquared += sum * sum;
        }

        return Math.Max(0, total - (meanSquared / x.Rows));
    }
}
