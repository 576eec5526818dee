
namespace SparseDictionary.Tests.Support;

/// <summary>
/// Runs another activation, but from the given row on (counting every row it has seen) it activates every latent with
/// the largest finite code, float.MaxValue: valid codes whose reconstruction overflows, so the loss turns infinite in
/// the middle of a run. Its capacity is the latent count.
/// </summary>
internal sealed class OverflowAfterActivation(IActivation inner, int goodRows) : IActivation
{
    private int _rows;

    public string Name => inner.Name;

    public int GetCapacity(int latentCount)
    {
        inner.GetCapacity(latentCount);
        return latentCount;
    }

    public int Forward(ReadOnlySpan<float> preActivations, Span<int> activeIndices, Span<float> activeValues)
    {
        if (Interlocked.Increment(ref _rows) <= goodRows)
        {
            return inner.Forward(preActivations, activeIndices, activeValues);
        }

        for (var i = 0; i < preActivations.Length; i++)
        {
            activeIndices[i] = i;
            activeValues[i] = float.MaxValue;
        }

        return preActivations.Length;
    }

    public void Backward(ReadOnlySpan<float> activePreActivations, ReadOnlySpan<float> activeValues, Span<float> gradient) =>
        inner.Backward(activePreActivations, activeValues, gradient);
}
