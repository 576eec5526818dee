
namespace SparseDictionary.Tests.Support;

/// <summary>An activation whose <see cref="IActivation.GetCapacity"/> breaks its contract: it returns <paramref name="capacity"/> whatever the latent count.</summary>
internal sealed class BadCapacityActivation(int capacity) : IActivation
{
    public string Name => $"BadCapacity({capacity})";

    public int GetCapacity(int latentCount) => capacity;

    public int Forward(ReadOnlySpan<float> preActivations, Span<int> activeIndices, Span<float> activeValues) => 0;

    public void Backward(ReadOnlySpan<float> activePreActivations, ReadOnlySpan<float> activeValues, Span<float> gradient)
    {
    }
}
