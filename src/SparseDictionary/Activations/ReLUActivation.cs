using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SparseDictionary.Kernels;

namespace SparseDictionary;

/// <summary>
/// ReLU activation, z = max(pre, 0), the original SAE nonlinearity (Bricken et al. 2023; Cunningham et al. 2023).
/// The number of active latents varies per row; sparsity must come from a penalty or from the data.
/// </summary>
/// <remarks>Active entries are the strictly positive pre-activations, returned in increasing latent order; dz/dpre = 1 on them.</remarks>
public sealed class ReLUActivation : IActivation
{
    /// <inheritdoc />
    public string Name => "ReLU";

    /// <inheritdoc />
    public int GetCapacity(int latentCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latentCount, 1);
        return latentCount;
    }

    /// <inheritdoc />
    public int Forward(ReadOnlySpan<float> preActivations, Span<int> activeIndices, Span<float> activeValues)
    {
        var count = 0;
        var i = 0;
        if (KernelPaths.Current != KernelPath.Scalar && Vector256.IsHardwareAccelerated)
        {
            ref var origin = ref MemoryMarshal.GetReference(preActivations);
            for (; i <= preActivations.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var mask = Vector256.GreaterThan(Vector256.LoadUnsafe(ref origin, (nuint)i), Vector256<float>.Zero).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    var index = i + BitOperations.TrailingZeroCount(mask);
                    activeIndices[count] = index;
                    activeValues[count++] = preActivations[index];
                    mask &= mask - 1;
                }
            }
        }

        for (; i < preActivations.Length; i++)
        {
            if (preActivations[i] > 0)
            {
                activeIndices[count] = i;
                activeValues[count++] = preActivations[i];
            }
        }

        return count;
    }

    /// <inheritdoc />
    public void Backward(ReadOnlySpan<float> activePreActivations, ReadOnlySpan<float> activeValues, Span<float> gradient)
    {
        // dz/dpre = 1 where pre > 0, and only those entries are active.
    }
}
