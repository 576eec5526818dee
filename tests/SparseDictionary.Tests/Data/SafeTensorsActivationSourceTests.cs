using System.Buffers.Binary;
using System.Text;
using SparseDictionary.IO;
using SparseDictionary.Randomness;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Data;

public sealed class SafeTensorsActivationSourceTests : IDisposable
{
    private const int Rows = 37;
    private const int Columns = 4;

    private readonly ScratchFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(SafeTensorsDataType.F32)]
    [InlineData(SafeTensorsDataType.BF16)]
    [InlineData(SafeTensorsDataType.F16)]
    public void Read_ServesTheTensorsRows_ConvertingHalfTypes(SafeTensorsDataType type)
    {
        var path = WriteTensor(type);
        using var source = new SafeTensorsActivationSource(path, "acts", loop: false);
        (source.Dimension, source.RowCount, source.Length).Should().Be((Columns, (long)Rows, (long?)Rows));
        var batch = new Matrix(Rows + 5, Columns);
        source.Read(batch).Should().Be(Rows);
        batch.Span[..(Rows * Columns)].ToArray().Should().Equal(Values());
        source.Read(batch).Should().Be(0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Stream_IsTheStreamOfAnNpySourceOverOneShard(bool shuffle)
    {
        var tensor = new SafeTensorsActivationSource(WriteTensor(SafeTensorsDataType.F32), "acts", shuffle, seed: 9);
        var npyPath = _folder.File("same.npy");
        NpyFile.Write(npyPath, Matrix.Wrap(Values(), Rows, Columns));
        using var npy = new NpyActivationSource([npyPath], shuffle, seed: 9);
        using (tensor)
        {
            var a = new Matrix((3 * Rows) + 2, Columns);
            var b = new Matrix((3 * Rows) + 2, Columns);
            tensor.Read(a);
            npy.Read(b);
            a.Span.ToArray().Should().Equal(b.Span.ToArray());
            var firstEpoch = a.Span[..(Rows * Columns)].ToArray().Where((_, i) => i % Columns == 0).Order();
            firstEpoch.Should().Equal(Enumerable.Range(0, Rows).Select(r => (float)(r * Columns)));
        }
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public void Seek_ThenRead_GivesTheRowsSequentialReadingGives(bool shuffle, bool loop)
    {
        var path = WriteTensor(SafeTensorsDataType.BF16);
        var streamLength = loop ? (3 * Rows) + 1 : Rows;
        using var sequential = new SafeTensorsActivationSource(path, "acts", shuffle, loop, seed: 4);
        var stream = new Matrix(streamLength, Columns);
        sequential.Read(stream).Should().Be(streamLength);

        using var seeking = new SafeTensorsActivationSource(path, "acts", shuffle, loop, seed: 4);
        var random = new DeterministicRandom(1);
        for (var p = 0; p <= streamLength; p++)
        {
            seeking.Seek(p);
            var count = Math.Min(1 + random.NextInt(Rows), streamLength - p);
            var batch = new Matrix(count, Columns);
            seeking.Read(batch).Should().Be(count);
            batch.Span.ToArray().Should().Equal(stream.SliceRows(p, count).Span.ToArray(), $"the rows after Seek({p}) must be the stream's");
            seeking.Position.Should().Be(p + count);
        }
    }

    [Fact]
    public void Constructor_RejectsTensorsThatAreNotRows_NamingThePath()
    {
        var path = _folder.File("mixed.safetensors");
        new SafeTensorsWriter()
            .Add("vector", [1f, 2f, 3f], [3])
            .Add("cube", new float[8], [2, 2, 2])
            .Add("empty", Array.Empty<float>(), [0, 4])
            .Add("ids", [1L, 2L], [1, 2])
            .Save(path);

        foreach (var name in new[] { "vector", "cube", "empty", "ids" })
        {
            var act = () => new SafeTensorsActivationSource(path, name);
            act.Should().Throw<InvalidDataException>().WithMessage($"*'{name}'*{path}*");
        }

        var missing = () => new SafeTensorsActivationSource(path, "nothing");
        missing.Should().Throw<KeyNotFoundException>();
        var broken = () => new SafeTensorsActivationSource(_folder.Write("broken.safetensors", [1, 2, 3]), "acts");
        broken.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void Dispose_UnmapsTheFile_AndFurtherUseThrows()
    {
        var source = new SafeTensorsActivationSource(WriteTensor(SafeTensorsDataType.F32), "acts");
        source.Dispose();
        source.Invoking(s => s.Read(new Matrix(1, Columns))).Should().Throw<ObjectDisposedException>();
        source.Invoking(s => s.Seek(0)).Should().Throw<ObjectDisposedException>();
    }

    /// <summary>Row r holds r * Columns + c: exact in every half type.</summary>
    private static float[] Values() => [.. Enumerable.Range(0, Rows * Columns).Select(v => (float)v)];

    private string WriteTensor(SafeTensorsDataType type)
    {
        var path = _folder.File($"{type}.safetensors");
        if (type != SafeTensorsDataType.F16)
        {
            new SafeTensorsWriter().Add("other", [7f], [1]).Add("acts", Values(), [Rows, Columns], type).Save(path);
            return path;
        }

        // The writer has no F16; build the file by hand: 8-byte header length, JSON header, data.
        var data = NpyBytes.Halves(Values());
        var header = Encoding.UTF8.GetBytes($"{{\"acts\":{{\"dtype\":\"F16\",\"shape\":[{Rows},{Columns}],\"data_offsets\":[0,{data.Length}]}}}}");
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        File.WriteAllBytes(path, [.. length, .. header, .. data]);
        return path;
    }
}
