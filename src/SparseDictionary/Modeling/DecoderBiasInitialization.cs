namespace SparseDictionary;

/// <summary>How the decoder bias b_dec is set from data before training.</summary>
public enum DecoderBiasInitialization
{
    /// <summary>Leave b_dec as it is.</summary>
    None = 0,

    /// <summary>The mean of the sample.</summary>
    Mean = 1,

    /// <summary>
    /// The geometric median of the sample (the point minimising the sum of Euclidean distances), computed with
    /// Weiszfeld's iteration; robust to outliers (Bricken et al. 2023).
    /// </summary>
    GeometricMedian = 2,
}
