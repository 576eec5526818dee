
namespace SparseDictionary.Tests.Support;

/// <summary>
/// A user activation that breaks the <see cref="IActivation"/> contract on purpose: its valid output is latents
/// 0..k-1 with values |pre| + 1; on every row whose first pre-activation exceeds <paramref name="trigger"/> it commits
/// <paramref name="fault"/> instead.
/// </summary>
internal sealed class MaliciousActivation(int k, ActivationFault fault, float trigger = float.NegativeInfinity) : IActivation
{
    public string Name => $"Malicious({fault})";

    public int GetCapacity(int latentCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, latentCount);
        return k;
    }

    public int Forward(ReadOnlySpan<float> preActivations, Span<int> activeIndices, Span<float> activeValues)
    {
        for (var j = 0; j < k; j++)
        {
            activeIndices[j] = j;
            activeValues[j] = MathF.Abs(preActivations[j]) + 1;
        }

        if (!(preActivations[0] > trigger))
        {
            return k;
        }

        switch (fault)
        {
            case ActivationFault.IndexEqualToLatentCount:
                activeIndices[1] = preActivations.Length;
                return k;
            case ActivationFault.NegativeIndex:
                activeIndices[1] = -1;
                return k;
            case ActivationFault.DuplicateIndex:
                activeIndices[2] = activeIndices[0];
                return k;
            case ActivationFault.CountAboveCapacity:
                return k + 1;
            case ActivationFault.NegativeCount:
                return -1;
            case ActivationFault.NaNValue:
                activeValues[1] = float.NaN;
                return k;
            case ActivationFault.InfiniteValue:
                activeValues[1] = float.PositiveInfinity;
                return k;
            case ActivationFault.Descending:
                activeIndices[..k].Reverse();
                activeValues[..k].Reverse();
                return k;
            default:
                return k;
        }
    }

    public void Backward(ReadOnlySpan<float> activePreActivations, ReadOnlySpan<float> activeValues, Span<float> gradient)
    {
        // d|p|/dp = sign(p).
        for (var j = 0; j < gradient.Length; j++)
        {
            gradient[j] *= activePreActivations[j] < 0 ? -1 : 1;
        }
    }
}
