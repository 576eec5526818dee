namespace SparseDictionary.Tests.Support;

/// <summary>What <see cref="MaliciousActivation"/> gets wrong.</summary>
public enum ActivationFault
{
    /// <summary>Nothing: a valid row.</summary>
    None,

    /// <summary>An index equal to the latent count (one past the last latent).</summary>
    IndexEqualToLatentCount,

    /// <summary>The index -1.</summary>
    NegativeIndex,

    /// <summary>The same index twice.</summary>
    DuplicateIndex,

    /// <summary>A count one above the capacity.</summary>
    CountAboveCapacity,

    /// <summary>The count -1.</summary>
    NegativeCount,

    /// <summary>A NaN code value.</summary>
    NaNValue,

    /// <summary>An infinite code value.</summary>
    InfiniteValue,

    /// <summary>Nothing, but distinct indices in decreasing order (valid: the contract asks for no order).</summary>
    Descending,
}
