namespace SparseDictionary.Tests.Tensors;

/// <summary>The chunked finiteness check finds the first NaN or infinity wherever it sits, including chunk edges.</summary>
public sealed class FiniteCheckTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(4095, 4094)]
    [InlineData(4096, 4095)]
    [InlineData(4097, 4096)]
    [InlineData(10_000, 8191)]
    [InlineData(10_000, 9999)]
    public void FindsTheFirstNonFinite(int length, int position)
    {
        var values = new float[length];
        FiniteCheck.FirstNonFinite(values).Should().Be(-1);
        if (length == 0)
        {
            return;
        }

        foreach (var bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            values[position] = bad;
            FiniteCheck.FirstNonFinite(values).Should().Be(position);
            values[position] = 0;
        }
    }

    [Fact]
    public void LargeFiniteValuesWhoseSumOverflows_AreFinite()
    {
        // A chunk's sum overflows to infinity, but each entry is finite: the element scan must clear it.
        var values = Enumerable.Repeat(float.MaxValue, 100).ToArray();
        FiniteCheck.FirstNonFinite(values).Should().Be(-1);
    }
}
