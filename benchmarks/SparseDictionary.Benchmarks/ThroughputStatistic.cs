namespace SparseDictionary.Benchmarks;

/// <summary>Which time of a benchmark case a <see cref="ThroughputColumn"/> divides the work by.</summary>
public enum ThroughputStatistic
{
    /// <summary>The mean time of an operation.</summary>
    Mean,

    /// <summary>The median time of an operation: robust to the slow outliers of a busy machine.</summary>
    Median,
}
