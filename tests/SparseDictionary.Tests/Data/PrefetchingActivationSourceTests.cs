using SparseDictionary.Randomness;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Data;

public class PrefetchingActivationSourceTests
{
    private const int Rows = 53;
    private const int Columns = 2;

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void Read_DeliversExactlyTheInnerSourcesRows_ForAnySequenceOfBatchSizes(bool shuffle, bool loop)
    {
        var direct = Inner(shuffle, loop);
        using var prefetching = new PrefetchingActivationSource(Inner(shuffle, loop));
        var random = new DeterministicRandom(6);
        var delivered = 0L;
        for (var i = 0; i < 300; i++)
        {
            // Mostly repeated sizes (the prefetched case), with changes up and down.
            var size = random.NextInt(3) == 0 ? random.NextInt(2 * Rows) : 16;
            var expected = new Matrix(size, Columns);
            var actual = new Matrix(size, Columns);
            var count = direct.Read(expected);
            prefetching.Read(actual).Should().Be(count, $"read {i} asks for {size} rows");
            actual.Span.ToArray().Should().Equal(expected.Span.ToArray(), $"read {i} must deliver the inner source's rows");
            delivered += count;
            prefetching.Position.Should().Be(delivered, "the position counts rows delivered, not rows prefetched");
        }
    }

    [Fact]
    public void Seek_IsForwarded_AndReadingAfterItMatchesTheStream()
    {
        var stream = new Matrix(4 * Rows, Columns);
        Inner(shuffle: true, loop: true).Read(stream);
        var inner = Inner(shuffle: true, loop: true);
        using var prefetching = new PrefetchingActivationSource(inner);
        var batch = new Matrix(9, Columns);
        for (var p = 0; p + batch.Rows <= stream.Rows; p += 7)
        {
            prefetching.Read(batch);
            prefetching.Seek(p);
            prefetching.Position.Should().Be(p);
            inner.Position.Should().Be(p, "the rows read ahead are discarded");
            prefetching.Read(batch).Should().Be(batch.Rows);
            batch.Span.ToArray().Should().Equal(stream.SliceRows(p, batch.Rows).Span.ToArray());
        }

        prefetching.Reset();
        prefetching.Position.Should().Be(0);
        prefetching.Read(batch);
        batch.Span.ToArray().Should().Equal(stream.SliceRows(0, batch.Rows).Span.ToArray());
        prefetching.Invoking(s => s.Seek(-1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Seek_OverAForwardOnlySource_ResetsAndSkips()
    {
        var stream = new Matrix(3 * Rows, Columns);
        Inner(shuffle: true, loop: true).Read(stream);
        using var prefetching = new PrefetchingActivationSource(new ForwardOnlySource(Inner(shuffle: true, loop: true)));
        var batch = new Matrix(5, Columns);
        foreach (var p in new[] { 0, 1, 52, 53, 54, 100, 3 })
        {
            prefetching.Read(batch);
            prefetching.Seek(p);
            prefetching.Position.Should().Be(p);
            prefetching.Read(batch);
            batch.Span.ToArray().Should().Equal(stream.SliceRows(p, batch.Rows).Span.ToArray());
        }

        using var bounded = new PrefetchingActivationSource(new ForwardOnlySource(Inner(shuffle: false, loop: false)));
        bounded.Invoking(s => s.Seek(Rows + 1)).Should().Throw<ArgumentOutOfRangeException>();
        bounded.Seek(Rows);
        bounded.Read(batch).Should().Be(0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void InnerFailure_IsThrownByTheReadThatWouldHaveMetIt(bool failOnce)
    {
        // A failure that persists, met by reads whose sizes change around the failing row 40: the prefetch of rows
        // [36, 45) fails, the read of [36, 39) that follows must not. A failure that clears once met, with a constant
        // size (a transient failure met first by a prefetch of another size than the next read is not repeated).
        int[] sizes = failOnce ? [8, 8, 8, 8, 8, 8, 8, 8] : [9, 9, 9, 9, 3, 3, 5, 9, 2];
        var direct = Outcomes(new ScriptedSource(Inner(false, true)) { FailingRow = 40, FailOnce = failOnce }, sizes);
        var scripted = new ScriptedSource(Inner(false, true)) { FailingRow = 40, FailOnce = failOnce };
        using var prefetching = new PrefetchingActivationSource(scripted);
        var prefetched = Outcomes(prefetching, sizes);

        prefetched.Should().Equal(direct);
        direct.Should().Contain(o => o.StartsWith("failed", StringComparison.Ordinal));
        scripted.Overlapped.Should().BeFalse();
    }

    [Fact]
    public async Task SeekResetAndDispose_WaitForAPrefetchInFlight()
    {
        using var gate = new ManualResetEventSlim();
        var scripted = new ScriptedSource(Inner(false, true)) { Gate = gate, UngatedReads = 1 };
        var prefetching = new PrefetchingActivationSource(scripted);
        var batch = new Matrix(4, Columns);
        prefetching.Read(batch);
        scripted.Waiting.Wait();

        var seek = Task.Run(() => prefetching.Seek(10));
        (await Task.WhenAny(seek, Task.Delay(200))).Should().NotBeSameAs(seek, "Seek waits for the read in flight");
        gate.Set();
        await seek.WaitAsync(TimeSpan.FromMinutes(1));
        scripted.Overlapped.Should().BeFalse("the inner source is never used by two threads at once");

        prefetching.Read(batch);
        batch[0, 0].Should().Be(10 * Columns);
        prefetching.Reset();
        prefetching.Read(batch);
        batch[0, 0].Should().Be(0);

        prefetching.Dispose();
        scripted.Disposed.Should().BeTrue();
        scripted.Overlapped.Should().BeFalse();
        prefetching.Invoking(s => s.Read(batch)).Should().Throw<ObjectDisposedException>();
        prefetching.Invoking(s => s.Seek(0)).Should().Throw<ObjectDisposedException>();
        prefetching.Dispose();
    }

    [Fact]
    public void Dispose_LeavesTheInnerSourceOpen_WhenAsked()
    {
        var scripted = new ScriptedSource(Inner(false, true));
        var prefetching = new PrefetchingActivationSource(scripted, leaveInnerOpen: true);
        prefetching.Read(new Matrix(3, Columns));
        prefetching.Dispose();
        scripted.Disposed.Should().BeFalse();
        scripted.Overlapped.Should().BeFalse();
    }

    [Fact]
    public void Read_ChecksTheDestination()
    {
        using var prefetching = new PrefetchingActivationSource(Inner(false, true));
        prefetching.Invoking(s => s.Read(new Matrix(2, Columns + 1))).Should().Throw<ArgumentException>();
        prefetching.Read(new Matrix(0, Columns)).Should().Be(0);
        prefetching.Dimension.Should().Be(Columns);
        prefetching.Length.Should().BeNull();
    }

    private static List<string> Outcomes(IActivationSource source, int[] sizes)
    {
        var outcomes = new List<string>();
        foreach (var size in sizes)
        {
            var batch = new Matrix(size, Columns);
            try
            {
                var count = source.Read(batch);
                outcomes.Add($"{count}: {string.Join(" ", batch.Span[..(count * Columns)].ToArray())}");
            }
            catch (ScriptedFailure e)
            {
                outcomes.Add($"failed: {e.Message}");
            }
        }

        return outcomes;
    }

    /// <summary>A source whose row r holds r * Columns + c.</summary>
    private static InMemoryActivationSource Inner(bool shuffle, bool loop) =>
        new(Matrix.Wrap([.. Enumerable.Range(0, Rows * Columns).Select(v => (float)v)], Rows, Columns), shuffle, loop, seed: 3);
}
