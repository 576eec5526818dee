
namespace SparseDictionary.Regularization;

/// <summary>
/// The gradient accumulators of one SAE for the current step, shaped like its parameters. Regularizers add into them;
/// the trainer zeroes them before each step and applies them after.
/// </summary>
public sealed class SaeGradients
{
    internal SaeGradients(int latentCount, int inputDimension)
    {
        // Cache-line aligned (AlignedMemory): the update streams them, and the encoder packs W_enc into the first.
        EncoderWeightsBuffer = AlignedMemory.Allocate(latentCount * inputDimension);
        EncoderBiasBuffer = AlignedMemory.Allocate(latentCount);
        DecoderWeightsBuffer = AlignedMemory.Allocate(latentCount * inputDimension);
        DecoderBiasBuffer = AlignedMemory.Allocate(inputDimension);
        EncoderWeights = Matrix.Wrap(EncoderWeightsBuffer, latentCount, inputDimension);
        DecoderWeights = Matrix.Wrap(DecoderWeightsBuffer, latentCount, inputDimension);
    }

    /// <summary>dL/dW_enc, latents x d.</summary>
    public Matrix EncoderWeights { get; }

    /// <summary>dL/db_enc.</summary>
    public Span<float> EncoderBias => EncoderBiasBuffer.Span;

    /// <summary>dL/dW_dec, latents x d (row i: the gradient of latent i's decoder direction).</summary>
    public Matrix DecoderWeights { get; }

    /// <summary>dL/db_dec.</summary>
    public Span<float> DecoderBias => DecoderBiasBuffer.Span;

    internal Memory<float> EncoderWeightsBuffer { get; }

    internal Memory<float> EncoderBiasBuffer { get; }

    internal Memory<float> DecoderWeightsBuffer { get; }

    internal Memory<float> DecoderBiasBuffer { get; }

    /// <summary>The four buffers, as <see cref="Kernels.SparseWeightGradients"/> takes them.</summary>
    internal Kernels.WeightGradientBuffers Buffers => new(DecoderWeightsBuffer, EncoderWeightsBuffer, EncoderBiasBuffer, DecoderBiasBuffer);

    /// <summary>Clears the two bias gradients only (a pass that overwrites the weight gradients follows).</summary>
    internal void ClearBiases()
    {
        EncoderBiasBuffer.Span.Clear();
        DecoderBiasBuffer.Span.Clear();
    }
}
