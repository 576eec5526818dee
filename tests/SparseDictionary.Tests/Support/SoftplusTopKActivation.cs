
namespace SparseDictionary.Tests.Support;

/// <summary>
/// A user-defined activation written outside the library: the k largest pre-activations, passed through
/// softplus(p) = log(1 + e^p); its derivative sigmoid(p) is not 1, so it exercises <see cref="IActivation.Backward"/>.
/// </summary>
internal sealed class SoftplusTopKActivation(int k) : IActivation
{
    public int K => k;

    public string Name => $"SoftplusTopK(k={k})";

    public int GetCapacity(int latentCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, latentCount);
        return k;
    }

    public int Forward(ReadOnlySpan<float> preActivations, Span<int> activeIndices, Span<float> activeValues)
    {
        var order = Enumerable.Range(0, preActivations.Length).ToArray();
        var copy = preActivations.ToArray();
        Array.Sort(order, (a, b) => copy[b] != copy[a] ? copy[b].CompareTo(copy[a]) : a.CompareTo(b));
        for (var j = 0; j < k; j++)
        {
            activeIndices[j] = order[j];
            activeValues[j] = Softplus(copy[order[j]]);
        }

        return k;
    }

    public void Backward(ReadOnlySpan<float> activePreActivations, ReadOnlySpan<float> activeValues, Span<float> gradient)
    {
        for (var j = 0; j < gradient.Length; j++)
        {
            gradient[j] *= 1 / (1 + MathF.Exp(-activePreActivations[j]));
        }
    }

    public static float Softplus(float p) => p > 20 ? p : MathF.Log(1 + MathF.Exp(p));
}
