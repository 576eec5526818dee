using SparseDictionary.Kernels;

namespace SparseDictionary;

/// <summary>
/// AdamW's state for one SAE: the first and second moment of each parameter (cache-line aligned, like the parameters
/// they follow) and the optimizer step count t that sets the bias corrections 1 - b1^t and 1 - b2^t.
/// </summary>
internal sealed class AdamWState
{
    public AdamWState(int latents, int d)
    {
        EncoderWeights = new ParameterMoments(AlignedMemory.Allocate(latents * d), AlignedMemory.Allocate(latents * d));
        EncoderBias = new ParameterMoments(AlignedMemory.Allocate(latents), AlignedMemory.Allocate(latents));
        DecoderWeights = new ParameterMoments(AlignedMemory.Allocate(latents * d), AlignedMemory.Allocate(latents * d));
        DecoderBias = new ParameterMoments(AlignedMemory.Allocate(d), AlignedMemory.Allocate(d));
    }

    /// <summary>Moments of W_enc (latents x d).</summary>
    public ParameterMoments EncoderWeights { get; }

    /// <summary>Moments of b_enc (latents).</summary>
    public ParameterMoments EncoderBias { get; }

    /// <summary>Moments of W_dec (latents x d).</summary>
    public ParameterMoments DecoderWeights { get; }

    /// <summary>Moments of b_dec (d).</summary>
    public ParameterMoments DecoderBias { get; }

    /// <summary>Optimizer steps taken (t of the last step).</summary>
    public long Steps { get; set; }

    /// <summary>The four parameters' moments with their checkpoint names, in the order W_enc, b_enc, W_dec, b_dec.</summary>
    public IEnumerable<(string Name, ParameterMoments Moments)> ByName =>
    [
        ("encoder.weight", EncoderWeights),
        ("encoder.bias", EncoderBias),
        ("decoder.weight", DecoderWeights),
        ("decoder.bias", DecoderBias),
    ];

    /// <summary>The hyper-parameters of the next step (t = Steps + 1); <see cref="Steps"/> moves only once the step is known to be safe.</summary>
    public AdamWStep NextStep(float learningRate, SaeTrainerOptions options) =>
        AdamWStep.ForStep(Steps + 1, learningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);

    /// <summary>Zero moments and step count (a reinitialised SAE starts its optimizer afresh).</summary>
    public void Clear()
    {
        foreach (var (_, moments) in ByName)
        {
            moments.First.Span.Clear();
            moments.Second.Span.Clear();
        }

        Steps = 0;
    }
}

/// <summary>AdamW's first moment m and second moment v of one parameter array.</summary>
/// <param name="First">m, as long as the parameter.</param>
/// <param name="Second">v, as long as the parameter.</param>
internal readonly record struct ParameterMoments(Memory<float> First, Memory<float> Second);
