
namespace SparseDictionary.Tests.Support;

/// <summary>An activation that runs another but is not of its type, so the library cannot specialise on it (the TopK encoder then takes whole-row blocks instead of streaming).</summary>
internal sealed class OpaqueActivation(IActivation inner) : IActivation
{
    public string Name => inner.Name;

    public int GetCapacity(int latentCount) => inner.GetCapacity(latentCount);

    public int Forward(ReadOnlySpan<float> preActivations, Span<int> activeIndices, Span<float> activeValues) =>
        inner.Forward(preActivations, activeIndices, activeValues);

    public void Backward(ReadOnlySpan<float> activePreActivations, ReadOnlySpan<float> activeValues, Span<float> gradient) =>
        inner.Backward(activePreActivations, activeValues, gradient);
}
