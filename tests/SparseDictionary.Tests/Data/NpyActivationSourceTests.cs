using SparseDictionary.IO;
using SparseDictionary.Randomness;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Data;

public sealed class NpyActivationSourceTests : IDisposable
{
    private const int Columns = 3;

    /// <summary>Awkward shard sizes: empty shards, a one-row shard, sizes on and off powers of two.</summary>
    private static readonly int[] ShardRows = [5, 0, 1, 17, 64, 3, 0];

    private readonly ScratchFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Read_InOrder_ConcatenatesTheShards_AcrossBoundariesAndEpochs()
    {
        var (paths, total) = WriteShards();
        using var source = new NpyActivationSource(paths);
        source.Length.Should().BeNull();
        source.RowCount.Should().Be(total);
        source.Dimension.Should().Be(Columns);

        var ids = new List<int>();
        var random = new DeterministicRandom(3);
        while (ids.Count < 3 * total)
        {
            ids.AddRange(ReadIds(source, 1 + random.NextInt(13)));
        }

        ids.Should().Equal(Enumerable.Range(0, ids.Count).Select(i => i % total));
        source.Position.Should().Be(ids.Count);
    }

    [Fact]
    public void Read_OnePass_EndsAfterTheLastShard()
    {
        var (paths, total) = WriteShards();
        using var source = new NpyActivationSource(paths, loop: false);
        source.Length.Should().Be(total);
        var batch = new Matrix(total - 4, Columns);
        source.Read(batch).Should().Be(total - 4);
        source.Read(batch).Should().Be(4);
        source.Read(batch).Should().Be(0);
        source.Position.Should().Be(total);
        source.Reset();
        ReadIds(source, 7).Should().Equal(0, 1, 2, 3, 4, 5, 6);
    }

    [Fact]
    public void Shuffle_ServesEachRowOncePerEpoch_ShardByShard_InANewOrderEachEpoch()
    {
        var (paths, total) = WriteShards();
        using var source = new NpyActivationSource(paths, shuffle: true, seed: 11);
        var epochs = Enumerable.Range(0, 3).Select(_ => ReadIds(source, total)).ToArray();

        foreach (var epoch in epochs)
        {
            epoch.Order().Should().Equal(Enumerable.Range(0, total));

            // Rows of one shard come together: the shard of each row changes only at shard boundaries.
            var shards = epoch.Select(ShardOf).ToArray();
            var runs = shards.Where((s, i) => i == 0 || s != shards[i - 1]).ToArray();
            runs.Should().OnlyHaveUniqueItems();
        }

        epochs[0].Should().NotEqual(epochs[1]);
        epochs[1].Should().NotEqual(epochs[2]);
        epochs[0].Select(ShardOf).Distinct().Should().NotEqual(Enumerable.Range(0, ShardRows.Length).Where(s => ShardRows[s] > 0), "the shard order is shuffled too");

        using var same = new NpyActivationSource(paths, shuffle: true, seed: 11);
        ReadIds(same, 2 * total).Should().Equal(epochs[0].Concat(epochs[1]));
        using var other = new NpyActivationSource(paths, shuffle: true, seed: 12);
        ReadIds(other, total).Should().NotEqual(epochs[0]);
        source.Reset();
        ReadIds(source, total).Should().Equal(epochs[0]);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    public void Seek_ThenRead_GivesTheRowsSequentialReadingGives(bool shuffle, bool loop)
    {
        var (paths, total) = WriteShards();
        var streamLength = loop ? (3 * total) + 7 : total;
        using var sequential = new NpyActivationSource(paths, shuffle, loop, seed: 5);
        var stream = ReadIds(sequential, streamLength);

        using var seeking = new NpyActivationSource(paths, shuffle, loop, seed: 5);
        var random = new DeterministicRandom(8);
        for (var p = 0; p <= streamLength; p++)
        {
            seeking.Seek(p);
            seeking.Position.Should().Be(p);
            var count = Math.Min(1 + random.NextInt(2 * total), streamLength - p);
            var ids = ReadIds(seeking, count, batch: 1 + random.NextInt(9));
            ids.Should().Equal(stream.Skip(p).Take(count), $"the rows after Seek({p}) must be the stream's");
            seeking.Position.Should().Be(p + count);
        }

        if (!loop)
        {
            seeking.Seek(total);
            seeking.Read(new Matrix(4, Columns)).Should().Be(0);
            seeking.Invoking(s => s.Seek(total + 1)).Should().Throw<ArgumentOutOfRangeException>();
        }

        seeking.Invoking(s => s.Seek(-1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Seek_FarIntoALoopingStream_IsCheap()
    {
        var (paths, total) = WriteShards();
        using var source = new NpyActivationSource(paths, shuffle: true, seed: 2);
        var epochStart = 1_000_000_000_000L * total;
        source.Seek(epochStart + 9);
        source.Position.Should().Be(epochStart + 9);
        source.Seek(epochStart);
        ReadIds(source, total).Order().Should().Equal(Enumerable.Range(0, total));
        source.Position.Should().Be(epochStart + total);
    }

    [Fact]
    public void Read_ConvertsFloat16Shards_AndMixesThemWithFloat32()
    {
        var (paths, total) = WriteShards(halfShard: 3);
        using var source = new NpyActivationSource(paths, loop: false);
        var batch = new Matrix(total, Columns);
        source.Read(batch).Should().Be(total);
        batch.Span.ToArray().Should().Equal(Enumerable.Range(0, total * Columns).Select(v => (float)v));
    }

    [Fact]
    public void FromFolder_ReadsTheNpyFilesSortedByName()
    {
        string[] names = ["b.npy", "a2.npy", "a10.npy", "a.npy"];
        for (var i = 0; i < names.Length; i++)
        {
            NpyFile.Write(_folder.File(names[i]), Matrix.Wrap([i, i], 1, 2));
        }

        File.WriteAllText(_folder.File("notes.txt"), "not a shard");
        File.WriteAllText(_folder.File("c.npy.bak"), "not a shard");
        using var source = NpyActivationSource.FromFolder(_folder.Path, loop: false);
        source.ShardPaths.Select(Path.GetFileName).Should().Equal("a.npy", "a10.npy", "a2.npy", "b.npy");
        var batch = new Matrix(4, 2);
        source.Read(batch);
        batch.Span.ToArray().Should().Equal(3, 3, 2, 2, 1, 1, 0, 0);
    }

    [Fact]
    public void Constructor_RejectsShardsThatDoNotFit_NamingTheShard()
    {
        var first = _folder.File("1.npy");
        var second = _folder.File("2.npy");
        NpyFile.Write(first, new Matrix(2, 3));
        NpyFile.Write(second, new Matrix(2, 4));
        var mismatch = () => new NpyActivationSource([first, second]);
        mismatch.Should().Throw<InvalidDataException>().WithMessage($"*{second}*4 columns*{first}*3*");

        var broken = _folder.Write("3.npy", [0x93, (byte)'N', (byte)'U']);
        var invalid = () => new NpyActivationSource([first, broken]);
        invalid.Should().Throw<InvalidDataException>().WithMessage($"*{broken}*");

        var narrow = _folder.File("4.npy");
        NpyFile.Write(narrow, new Matrix(5, 0));
        var noColumns = () => new NpyActivationSource([narrow]);
        noColumns.Should().Throw<InvalidDataException>().WithMessage($"*{narrow}*column*");

        var empty = _folder.File("5.npy");
        NpyFile.Write(empty, new Matrix(0, 3));
        var noRows = () => new NpyActivationSource([empty, empty]);
        noRows.Should().Throw<ArgumentException>().WithMessage($"*{empty}*no rows*");

        var none = () => NpyActivationSource.FromFolder(Directory.CreateDirectory(_folder.File("empty")).FullName);
        none.Should().Throw<ArgumentException>().WithMessage("*no .npy file*");
    }

    [Fact]
    public void Read_RefusesAShardThatChanged_AndKeepsItsPosition()
    {
        var first = _folder.File("1.npy");
        var second = _folder.File("2.npy");
        NpyFile.Write(first, Matrix.Wrap([1f, 2f], 1, 2));
        NpyFile.Write(second, Matrix.Wrap([3f, 4f], 1, 2));
        using var source = new NpyActivationSource([first, second]);
        NpyFile.Write(second, new Matrix(2, 2));

        source.Invoking(s => s.Read(new Matrix(2, 2))).Should().Throw<InvalidDataException>().WithMessage($"*{second}*");
        source.Position.Should().Be(0);
        NpyFile.Write(second, Matrix.Wrap([5f, 6f], 1, 2));
        var batch = new Matrix(2, 2);
        source.Read(batch).Should().Be(2);
        batch.Span.ToArray().Should().Equal(1f, 2f, 5f, 6f);
    }

    [Fact]
    public void Read_CopiesFromTheMapping_WithoutLoadingShardsIntoManagedMemory()
    {
        var paths = Enumerable.Range(0, 2).Select(i =>
        {
            var path = _folder.File($"{i}.npy");
            NpyFile.Write(path, TestData.GaussianMatrix(2048, 256, seed: i));
            return path;
        }).ToArray();
        using var source = new NpyActivationSource(paths, loop: false);
        var batch = new Matrix(100, 256);
        source.Read(batch);
        var before = GC.GetAllocatedBytesForCurrentThread();
        while (source.Read(batch) > 0)
        {
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        allocated.Should().BeLessThan(64 * 1024, "4 MiB of rows were read; only the second shard's mapping may allocate");
        source.Position.Should().Be(4096);
    }

    [Fact]
    public void Dispose_UnmapsTheShard_AndFurtherUseThrows()
    {
        var (paths, _) = WriteShards();
        var source = new NpyActivationSource(paths);
        source.Read(new Matrix(10, Columns));
        source.Dispose();
        source.Invoking(s => s.Read(new Matrix(1, Columns))).Should().Throw<ObjectDisposedException>();
        source.Invoking(s => s.Seek(0)).Should().Throw<ObjectDisposedException>();
        source.Dispose();
    }

    /// <summary>The shard a row id belongs to.</summary>
    private static int ShardOf(int id)
    {
        var end = 0;
        for (var s = 0; s < ShardRows.Length; s++)
        {
            end += ShardRows[s];
            if (id < end)
            {
                return s;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(id));
    }

    /// <summary>Reads <paramref name="count"/> rows in batches and returns their ids (row r holds r * Columns + c).</summary>
    private static List<int> ReadIds(IActivationSource source, int count, int batch = 7)
    {
        var ids = new List<int>(count);
        var buffer = new Matrix(batch, Columns);
        while (ids.Count < count)
        {
            var rows = Math.Min(batch, count - ids.Count);
            var read = source.Read(buffer.SliceRows(0, rows));
            read.Should().Be(rows);
            for (var r = 0; r < read; r++)
            {
                var row = buffer.Row(r);
                if (row[1] != row[0] + 1)
                {
                    throw new Xunit.Sdk.XunitException($"Row {row[0]} is not a row of the test shards.");
                }

                ids.Add((int)row[0] / Columns);
            }
        }

        return ids;
    }

    /// <summary>Writes the shards of <see cref="ShardRows"/>; row r of the concatenation holds r * Columns + c.</summary>
    private (string[] Paths, int Total) WriteShards(int halfShard = -1)
    {
        var paths = new string[ShardRows.Length];
        var first = 0;
        for (var s = 0; s < ShardRows.Length; s++)
        {
            var values = Enumerable.Range(first * Columns, ShardRows[s] * Columns).Select(v => (float)v).ToArray();
            paths[s] = _folder.File($"shard-{s}.npy");
            if (s == halfShard)
            {
                File.WriteAllBytes(paths[s], NpyBytes.Padded(1, NpyBytes.Dict(ShardRows[s], Columns, "<f2"), NpyBytes.Halves(values)));
            }
            else
            {
                NpyFile.Write(paths[s], Matrix.Wrap(values, ShardRows[s], Columns));
            }

            first += ShardRows[s];
        }

        return (paths, first);
    }
}
