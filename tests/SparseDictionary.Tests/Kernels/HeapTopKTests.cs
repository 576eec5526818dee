using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

public class HeapTopKTests
{
    [Fact]
    public void SelectFromSubset_OnlyConsidersTheSubset()
    {
        var values = TestData.Gaussian(300, 5);
        var subset = Enumerable.Range(0, 300).Where(i => i % 3 == 1).ToArray();
        var indices = new int[10];
        var selected = new float[10];
        var count = HeapTopK.SelectFromSubset(values, subset, 10, indices, selected);
        var expected = subset.OrderByDescending(i => values[i]).ThenBy(i => i).Take(10).ToArray();
        count.Should().Be(10);
        indices.Should().Equal(expected);
    }
}
