
namespace SparseDictionary.Tests.Support;

/// <summary>Runs another activation, but from the given row on (counting every row it has seen) its codes are NaN: a
/// user part that makes the loss non-finite in the middle of a run.</summary>
internal sealed class NaNAfterActivation(IActivation inner, int goodRows) : IActivation
{
    private int _rows;

    public string Name => inner.Name;

    public int GetCapacity(int latentCount) => inner.GetCapacity(latentCount);

    public int Forward(ReadOnlySpan<float> preActivations, Span<int> activeIndices, Span<float> activeValues)
    {
        var count = inner.Forward(preActivations, activeIndices, activeValues);
        if (Interlocked.Increment(ref _rows) > goodRows)
        {
            activeValues[..count].Fill(float.NaN);
        }

        return count;
    }

    public void Backward(ReadOnlySpan<float> activePreActivations, ReadOnlySpan<float> activeValues, Span<float> gradient) =>
        inner.Backward(activePreActivations, activeValues, gradient);
}
