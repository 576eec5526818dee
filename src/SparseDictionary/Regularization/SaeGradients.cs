using SparseDictionary.Tensors;

namespace SparseDictionary.Regularization;

/// <summary>
/// The gradient accumulators of one SAE for the current step, shaped like its parameters. Regularizers add into them;
/// the trainer zeroes them before each step and applies them after.
/// </summary>
public sealed class SaeGradients
{
    internal SaeGradients(int latentCount, int inputDimension)
    {
        EncoderWeightsArray = new float[latentCount * inputDimension];
        EncoderBiasArray = new float[latentCount];
        DecoderWeightsArray = new float[latentCount * inputDimension];
        DecoderBiasArray = new float[inputDimension];
        EncoderWeights = Matrix.Wrap(EncoderWeightsArray, latentCount, inputDimension);
        DecoderWeights = Matrix.Wrap(DecoderWeightsArray, latentCount, inputDimension);
    }

    /// <summary>dL/dW_enc, latents x d.</summary>
    public Matrix EncoderWeights { get; }

    /// <summary>dL/db_enc.</summary>
    public Span<float> EncoderBias => EncoderBiasArray;

    /// <summary>dL/dW_dec, latents x d (row i: the gradient of latent i's decoder direction).</summary>
    public Matrix DecoderWeights { get; }

    /// <summary>dL/db_dec.</summary>
    public Span<float> DecoderBias => DecoderBiasArray;

    internal float[] EncoderWeightsArray { get; }

    internal float[] EncoderBiasArray { get; }

    internal float[] DecoderWeightsArray { get; }

    internal float[] DecoderBiasArray { get; }

    /// <summary>Clears the two bias gradients only (a pass that overwrites the weight gradients follows).</summary>
    internal void ClearBiases()
    {
        Array.Clear(EncoderBiasArray);
        Array.Clear(DecoderBiasArray);
    }
}
