using SparseDictionary.Kernels;

namespace SparseDictionary;

/// <summary>
/// TopK activation (Makhzani and Frey 2013; Gao et al. 2024, "Scaling and evaluating sparse autoencoders"):
/// z = ReLU(TopK(pre)), keeping the k largest pre-activations of each row and zeroing the rest and any negative survivor.
/// </summary>
/// <remarks>
/// Ties are broken toward the lower latent index, so the selection is deterministic. The active entries are returned
/// in increasing latent index order. The gradient passes unchanged to the selected positive entries (dz/dpre = 1) and is zero elsewhere.
/// </remarks>
public sealed class TopKActivation : ITopKActivation
{
    /// <summary>Creates a TopK activation.</summary>
    /// <param name="k">Number of latents kept per row, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1.</exception>
    public TopKActivation(int k)
    {
        if (k < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "TopK needs k >= 1.");
        }

        K = k;
    }

    /// <summary>Number of latents kept per row.</summary>
    public int K { get; }

    /// <inheritdoc />
    public string Name => $"TopK(k={K})";

    /// <inheritdoc />
    public int GetCapacity(int latentCount)
    {
        if (K > latentCount)
        {
            throw new ArgumentOutOfRangeException(nameof(latentCount), latentCount, $"TopK with k = {K} needs at least {K} latents, but the SAE has {latentCount}.");
        }

        return K;
    }

    /// <inheritdoc />
    public int Forward(ReadOnlySpan<float> preActivations, Span<int> activeIndices, Span<float> activeValues)
    {
        var selected = TopKSelection.Select(preActivations, K, activeIndices, activeValues, KernelPaths.Current);

        // The ReLU: keep the positive survivors, in order.
        var count = 0;
        for (var j = 0; j < selected; j++)
        {
            if (activeValues[j] > 0)
            {
                activeIndices[count] = activeIndices[j];
                activeValues[count++] = activeValues[j];
            }
        }

        return count;
    }

    /// <inheritdoc />
    public void Backward(ReadOnlySpan<float> activePreActivations, ReadOnlySpan<float> activeValues, Span<float> gradient)
    {
        // dz/dpre = 1 on the selected positive entries: the gradient is unchanged.
    }
}
