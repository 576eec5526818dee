
namespace SparseDictionary.Tests.Data;

public class InMemoryActivationSourceTests
{
    private static Matrix Numbered(int rows, int columns) => Matrix.Wrap(Enumerable.Range(0, rows * columns).Select(i => (float)i).ToArray(), rows, columns);

    [Fact]
    public void Read_ServesRowsInOrder_AndLoopsAcrossEpochs()
    {
        var source = new InMemoryActivationSource(Numbered(5, 2));
        var batch = new Matrix(3, 2);
        source.Read(batch).Should().Be(3);
        batch.Span.ToArray().Should().Equal(0, 1, 2, 3, 4, 5);
        source.Read(batch).Should().Be(3);
        batch.Span.ToArray().Should().Equal(6, 7, 8, 9, 0, 1);
        source.Length.Should().BeNull();
    }

    [Fact]
    public void Read_WithoutLoop_EndsAfterOnePass()
    {
        var source = new InMemoryActivationSource(Numbered(5, 2), loop: false);
        var batch = new Matrix(3, 2);
        source.Read(batch).Should().Be(3);
        source.Read(batch).Should().Be(2);
        source.Read(batch).Should().Be(0);
        source.Length.Should().Be(5);
    }

    [Fact]
    public void Shuffle_GivesAPermutationPerEpoch_ReproducibleAfterReset()
    {
        var source = new InMemoryActivationSource(Numbered(100, 1), shuffle: true, seed: 4);
        var epoch1 = new Matrix(100, 1);
        var epoch2 = new Matrix(100, 1);
        source.Read(epoch1);
        source.Read(epoch2);
        epoch1.Span.ToArray().Should().BeEquivalentTo(Enumerable.Range(0, 100).Select(i => (float)i));
        epoch2.Span.ToArray().Should().BeEquivalentTo(Enumerable.Range(0, 100).Select(i => (float)i));
        epoch1.Span.ToArray().Should().NotEqual(epoch2.Span.ToArray());
        source.Reset();
        var again = new Matrix(100, 1);
        source.Read(again);
        again.Span.ToArray().Should().Equal(epoch1.Span.ToArray());
    }

    [Fact]
    public void Source_WrapsTheCallersMemory_WithoutCopying()
    {
        var data = Numbered(4, 2);
        var source = new InMemoryActivationSource(data);
        data[0, 0] = 42;
        var batch = new Matrix(1, 2);
        source.Read(batch);
        batch[0, 0].Should().Be(42);
    }
}
