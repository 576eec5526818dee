using System.Text;
using SparseDictionary.IO;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.IO;

public sealed class NpyFileTests : IDisposable
{
    private readonly ScratchFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Open_ReadsHandBuiltFloat32_OfEachVersion(int major)
    {
        var values = NpyBytes.Numbered(6);
        var path = _folder.Write("a.npy", NpyBytes.Padded(major, NpyBytes.Dict(2, 3), NpyBytes.Floats(values)));

        using var file = NpyFile.Open(path);

        file.FormatVersion.Should().Be(major);
        file.DataType.Should().Be(NpyDataType.Float32);
        (file.Rows, file.Columns).Should().Be((2L, 3));
        file.DataOffset.Should().Be(128, "the 60-character dict and the preamble pad to 128 bytes");
        file.GetRows(0, 2).Span.ToArray().Should().Equal(values);
        file.GetRows(1, 1).Span.ToArray().Should().Equal(values[3..]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Open_ConvertsFloat16(int major)
    {
        float[] values = [0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-05f, 5.9604645e-08f, float.PositiveInfinity, float.NegativeInfinity, 0.33325195f];
        var path = _folder.Write("h.npy", NpyBytes.Padded(major, NpyBytes.Dict(5, 2, "<f2"), NpyBytes.Halves(values)));

        using var file = NpyFile.Open(path);

        file.DataType.Should().Be(NpyDataType.Float16);
        file.GetRows(0, 5).Span.ToArray().Should().Equal(values);
        var tail = new float[4];
        file.ReadRows(3, 2, tail);
        tail.Should().Equal(values[6..]);
    }

    [Fact]
    public void Open_ConvertsFloat16NaN()
    {
        var path = _folder.Write("nan.npy", NpyBytes.Padded(1, NpyBytes.Dict(1, 1, "<f2"), NpyBytes.Halves(float.NaN)));
        using var file = NpyFile.Open(path);
        float.IsNaN(file.GetRows(0, 1)[0, 0]).Should().BeTrue();
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}")]
    [InlineData("{'shape': (2, 3,), 'fortran_order': False, 'descr': '<f4'}")]
    [InlineData("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,3)}")]
    [InlineData("{'fortran_order':False,'descr':\"=f4\",'shape':(2,3),}")]
    [InlineData("{  'descr'  :  '<f4'  ,  'fortran_order'  :  False  ,  'shape'  :  (  2  ,  3  ,  )  ,  }")]
    public void Open_AcceptsTheDictSyntaxWritersUse(string dict)
    {
        var values = NpyBytes.Numbered(6);
        var path = _folder.Write("d.npy", NpyBytes.Padded(1, dict, NpyBytes.Floats(values)));
        using var file = NpyFile.Open(path);
        (file.Rows, file.Columns).Should().Be((2L, 3));
        file.GetRows(0, 2).Span.ToArray().Should().Equal(values);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(4096)]
    public void Open_AcceptsAnyHeaderAlignment(int alignment)
    {
        var values = NpyBytes.Numbered(12);
        var path = _folder.Write("u.npy", NpyBytes.Padded(1, NpyBytes.Dict(4, 3), NpyBytes.Floats(values), alignment));
        using var file = NpyFile.Open(path);
        (file.DataOffset % alignment).Should().Be(0);
        file.GetRows(0, 4).Span.ToArray().Should().Equal(values);
        var row = new float[3];
        file.ReadRows(2, 1, row);
        row.Should().Equal(values[6..9]);
    }

    [Fact]
    public void Open_AcceptsAVersion3HeaderInUtf8()
    {
        var dict = "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1, 2)}";
        var path = _folder.Write("v3.npy", NpyBytes.Padded(3, dict, NpyBytes.Floats(1, 2)));
        using var file = NpyFile.Open(path);
        file.GetRows(0, 1).Span.ToArray().Should().Equal(1f, 2f);
    }

    [Theory]
    [InlineData(0, 4)]
    [InlineData(5, 0)]
    [InlineData(0, 0)]
    public void Open_AcceptsEmptyArrays(int rows, int columns)
    {
        var path = _folder.Write("e.npy", NpyBytes.Padded(1, NpyBytes.Dict(rows, columns), []));
        using var file = NpyFile.Open(path);
        (file.Rows, file.Columns).Should().Be((rows, columns));
        file.GetRows(0, rows).Length.Should().Be(0);
    }

    [Fact]
    public void Write_MatchesNumPySaveByteForByte()
    {
        // numpy.save(f, numpy.arange(6, dtype=numpy.float32).reshape(2, 3)) with NumPy 1.24: 118-byte header, 20 spaces
        // of room for the first dimension to grow, padding to 128 bytes.
        var expectedHeader = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + new string(' ', 58) + "\n";
        var expected = NpyBytes.Raw(1, 0, expectedHeader, NpyBytes.Floats(0, 1, 2, 3, 4, 5));
        expected.Length.Should().Be(152);
        expected[8].Should().Be((byte)'v');

        var path = _folder.File("w.npy");
        NpyFile.Write(path, Matrix.Wrap([0f, 1, 2, 3, 4, 5], 2, 3));

        File.ReadAllBytes(path).Should().Equal(expected);
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(123456, 2)]
    [InlineData(3, 257)]
    public void Write_RoundTrips_WithTheDataOn64Bytes(int rows, int columns)
    {
        var matrix = TestData.GaussianMatrix(rows, columns, seed: rows + columns);
        var path = _folder.File("r.npy");
        NpyFile.Write(path, matrix);

        using var file = NpyFile.Open(path);
        file.FormatVersion.Should().Be(1);
        (file.DataOffset % 64).Should().Be(0);
        Encoding.ASCII.GetString(File.ReadAllBytes(path), 10, (int)file.DataOffset - 10).Should().EndWith("\n");
        file.GetRows(0, rows).Span.ToArray().Should().Equal(matrix.Span.ToArray());
        NpyFile.Load(path).Span.ToArray().Should().Equal(matrix.Span.ToArray());
    }

    [Fact]
    public void Write_HeaderLengthsAlwaysAlignTheData()
    {
        for (var rows = 0L; rows < 1_000_000_000_000L; rows = (rows * 10) + 9)
        {
            for (var columns = 1; columns < 100_000_000; columns = (columns * 10) + 3)
            {
                var header = NpyFile.HeaderBytes(rows, columns);
                (header.Length % 64).Should().Be(0);
                header[^1].Should().Be((byte)'\n');
            }
        }
    }

    [Fact]
    public void Write_ReplacesAFileAtomically_LeavingNoTemporaryFile()
    {
        var path = _folder.File("x.npy");
        NpyFile.Write(path, new Matrix(100, 3));
        NpyFile.Write(path, Matrix.Wrap([1f, 2f], 1, 2));
        NpyFile.Load(path).Span.ToArray().Should().Equal(1f, 2f);
        Directory.GetFiles(_folder.Path).Should().ContainSingle();
    }

    [Fact]
    public void GetRows_ViewsTheMapping_AndWritesStayPrivate()
    {
        var path = _folder.File("v.npy");
        NpyFile.Write(path, Matrix.Wrap([1f, 2f, 3f, 4f], 2, 2));
        var before = File.ReadAllBytes(path);
        using (var file = NpyFile.Open(path))
        {
            var first = file.GetRows(0, 2);
            var second = file.GetRows(1, 1);
            first[1, 0] = 42;
            second[0, 0].Should().Be(42, "both views read the same mapped pages");
        }

        File.ReadAllBytes(path).Should().Equal(before);
    }

    [Fact]
    public void Reads_CheckTheirRanges_AndTheDisposal()
    {
        var path = _folder.File("c.npy");
        NpyFile.Write(path, new Matrix(3, 2));
        var file = NpyFile.Open(path);
        file.Invoking(f => f.GetRows(2, 2)).Should().Throw<ArgumentOutOfRangeException>().WithMessage($"*{path}*");
        file.Invoking(f => f.GetRows(-1, 1)).Should().Throw<ArgumentOutOfRangeException>();
        file.Invoking(f => f.ReadRows(0, 2, new float[3])).Should().Throw<ArgumentException>();
        file.GetRows(3, 0).Rows.Should().Be(0);
        file.Dispose();
        file.Invoking(f => f.GetRows(0, 1)).Should().Throw<ObjectDisposedException>();
        file.Invoking(f => f.ReadRows(0, 1, new float[2])).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Open_ThrowsFileNotFound_ForAMissingFile()
    {
        var act = () => NpyFile.Open(_folder.File("missing.npy"));
        act.Should().Throw<FileNotFoundException>();
    }
}
