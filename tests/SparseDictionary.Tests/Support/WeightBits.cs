namespace SparseDictionary.Tests.Support;

/// <summary>Bit patterns of float weights, for assertions that two SAEs (or buffers) are the same bits, NaN payloads included.</summary>
internal static class WeightBits
{
    /// <summary>The bit pattern of each value.</summary>
    public static int[] Of(ReadOnlySpan<float> values) => [.. values.ToArray().Select(BitConverter.SingleToInt32Bits)];

    /// <summary>The bit patterns of W_enc, b_enc, W_dec and b_dec, in that order.</summary>
    public static int[] Of(SparseAutoencoder sae) =>
    [
        .. Of(sae.EncoderWeights.Span), .. Of(sae.EncoderBias.Span), .. Of(sae.DecoderWeights.Span), .. Of(sae.DecoderBias.Span),
    ];
}
