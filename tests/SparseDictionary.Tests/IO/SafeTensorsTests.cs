using System.Buffers.Binary;
using System.Text;
using SparseDictionary.IO;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.IO;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string WriteFile(byte[] bytes, string name = "file.safetensors")
    {
        var path = _folder.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Writer_ProducesTheSpecifiedBytes()
    {
        var writer = new SafeTensorsWriter()
            .SetMetadata("format", "pt")
            .Add("w", [1f, -2f, 0.5f, 3f], [2, 2])
            .Add("ids", [7L, -1L], [2])
            .Add("n", [5], [1]);
        var path = _folder.File("out.safetensors");
        writer.Save(path);

        // Header exactly as the specification lays it out: one JSON object, metadata map of strings, then each tensor
        // with dtype, shape and [begin, end) offsets into the buffer, contiguous in the order added.
        const string Json =
            "{\"__metadata__\":{\"format\":\"pt\"}," +
            "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}," +
            "\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[16,32]}," +
            "\"n\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[32,36]}}";
        var padding = (8 - (Json.Length % 8)) % 8;
        var expected = new List<byte>();
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(Json.Length + padding));
        expected.AddRange(length);
        expected.AddRange(Encoding.ASCII.GetBytes(Json));
        expected.AddRange(Enumerable.Repeat((byte)' ', padding));
        expected.AddRange([0x00, 0x00, 0x80, 0x3F]); // 1
        expected.AddRange([0x00, 0x00, 0x00, 0xC0]); // -2
        expected.AddRange([0x00, 0x00, 0x00, 0x3F]); // 0.5
        expected.AddRange([0x00, 0x00, 0x40, 0x40]); // 3
        expected.AddRange([0x07, 0, 0, 0, 0, 0, 0, 0]);
        expected.AddRange([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        expected.AddRange([0x05, 0, 0, 0]);

        var actual = File.ReadAllBytes(path);
        actual.Should().Equal(expected);
        ((8 + Json.Length + padding) % 8).Should().Be(0, "the buffer starts on an 8-byte boundary");
        Directory.GetFiles(_folder.Path).Should().ContainSingle("the temporary file is renamed, not left behind");
    }

    [Fact]
    public void Writer_PadsAHeaderThatIsAlreadyAlignedWithNothing()
    {
        // {"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}} is 53 bytes; a name of 3 more characters makes 56.
        var writer = new SafeTensorsWriter().Add("abcd", [1f], []);
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        var bytes = stream.ToArray();
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        header.Should().Be("{\"abcd\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}");
        headerLength.Should().Be(56);
        bytes.Length.Should().Be(8 + 56 + 4);
    }

    [Fact]
    public void F32_RoundTripsBitIdentical()
    {
        uint[] patterns =
        [
            0x00000000, 0x80000000, // +0, -0
            0x00000001, 0x007FFFFF, 0x80000001, // denormals
            0x7F800000, 0xFF800000, // infinities
            0x7FC00000, 0x7FC00001, 0xFFC12345, 0x7F800001, 0x7FBFFFFF, // quiet and signalling NaNs with payloads
            0x7F7FFFFF, 0x00800000, 0x3F800000, 0xBF9E0652,
        ];
        var values = patterns.Select(BitConverter.UInt32BitsToSingle).ToArray();
        var path = _folder.File("f32.safetensors");
        new SafeTensorsWriter().Add("v", values, [4, 4]).Save(path);

        using var file = SafeTensorsFile.Open(path);
        file.GetInfo("v").DataType.Should().Be(SafeTensorsDataType.F32);
        file.GetInfo("v").Shape.Should().Equal(4L, 4L);
        file.ReadSingle("v").Select(BitConverter.SingleToUInt32Bits).Should().Equal(patterns);
        var matrix = file.GetMatrix("v");
        matrix.Rows.Should().Be(4);
        matrix.Columns.Should().Be(4);
        matrix.Span.ToArray().Select(BitConverter.SingleToUInt32Bits).Should().Equal(patterns);
    }

    [Theory]
    [InlineData(0x3F800000u, (ushort)0x3F80)] // 1: exact
    [InlineData(0x3F807FFFu, (ushort)0x3F80)] // just below half an ulp: down
    [InlineData(0x3F808000u, (ushort)0x3F80)] // exactly half, lower neighbour even: down
    [InlineData(0x3F808001u, (ushort)0x3F81)] // just above half: up
    [InlineData(0x3F818000u, (ushort)0x3F82)] // exactly half, upper neighbour even: up
    [InlineData(0xBF818000u, (ushort)0xBF82)] // the same, negative
    [InlineData(0x80000000u, (ushort)0x8000)] // -0
    [InlineData(0x00008000u, (ushort)0x0000)] // denormal tie to even (zero)
    [InlineData(0x00018000u, (ushort)0x0002)] // denormal tie to even (up)
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)] // float.MaxValue rounds to infinity
    [InlineData(0x7F7F7FFFu, (ushort)0x7F7F)] // the largest value that stays finite
    [InlineData(0x7F800000u, (ushort)0x7F80)] // +infinity
    [InlineData(0xFF800000u, (ushort)0xFF80)] // -infinity
    [InlineData(0x7FC00000u, (ushort)0x7FC0)] // quiet NaN
    [InlineData(0x7F800001u, (ushort)0x7FC0)] // NaN whose payload is only in the dropped bits stays NaN
    [InlineData(0xFFFFFFFFu, (ushort)0xFFFF)] // NaN with a full payload is not rounded into the exponent
    public void BF16_RoundsToNearestEven(uint single, ushort expected)
    {
        SafeTensorsWriter.ToBFloat16(BitConverter.UInt32BitsToSingle(single)).Should().Be(expected);

        var path = _folder.File("bf16.safetensors");
        new SafeTensorsWriter().Add("v", [BitConverter.UInt32BitsToSingle(single)], [1], SafeTensorsDataType.BF16).Save(path);
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(bytes.Length - 2)).Should().Be(expected);
        using var file = SafeTensorsFile.Open(path);
        file.GetInfo("v").DataType.Should().Be(SafeTensorsDataType.BF16);
        BitConverter.SingleToUInt32Bits(file.ReadSingle("v")[0]).Should().Be((uint)expected << 16);
    }

    [Fact]
    public void BF16_RoundTripsEveryBF16Value()
    {
        // Every float32 that is already a bfloat16 survives BF16 writing unchanged (NaNs stay NaN).
        var values = Enumerable.Range(0, 1 << 16).Select(i => BitConverter.UInt32BitsToSingle((uint)i << 16)).ToArray();
        var path = _folder.File("bf16-all.safetensors");
        new SafeTensorsWriter().Add("v", values, [values.Length], SafeTensorsDataType.BF16).Save(path);
        using var file = SafeTensorsFile.Open(path);
        var read = file.ReadSingle("v");
        for (var i = 0; i < values.Length; i++)
        {
            if (float.IsNaN(values[i]))
            {
                float.IsNaN(read[i]).Should().BeTrue();
            }
            else
            {
                BitConverter.SingleToUInt32Bits(read[i]).Should().Be(BitConverter.SingleToUInt32Bits(values[i]), $"pattern {i:X4}");
            }
        }
    }

    [Fact]
    public void Integers_RoundTrip()
    {
        long[] longs = [long.MinValue, -1, 0, 1, long.MaxValue, 0x0102030405060708];
        int[] ints = [int.MinValue, -1, 0, 1, int.MaxValue, 0x01020304];
        var path = _folder.File("ints.safetensors");
        new SafeTensorsWriter().Add("l", longs, [2, 3]).Add("i", ints, [3, 2]).Save(path);

        using var file = SafeTensorsFile.Open(path);
        file.ReadInt64("l").Should().Equal(longs);
        file.ReadInt32("i").Should().Equal(ints);
        file.GetInfo("l").DataType.Should().Be(SafeTensorsDataType.I64);
        file.GetInfo("i").DataType.Should().Be(SafeTensorsDataType.I32);
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(bytes.Length - 24 - 48 + 40)).Should().Be(0x0102030405060708);
        FluentActions.Invoking(() => file.ReadInt32("l")).Should().Throw<InvalidDataException>().WithMessage($"*{path}*I64*");
        FluentActions.Invoking(() => file.ReadSingle("i")).Should().Throw<InvalidDataException>().WithMessage($"*{path}*I32*");
    }

    [Fact]
    public void Metadata_RoundTripsAndTensorsKeepTheirOrder()
    {
        var path = _folder.File("meta.safetensors");
        new SafeTensorsWriter()
            .SetMetadata("b", "2").SetMetadata("a", "x \"quoted\" \u00e9\n")
            .Add("z", [1f], [1]).Add("a", [2f, 3f], [2]).Add("empty", ReadOnlySpan<float>.Empty, [0, 5])
            .Save(path);

        using var file = SafeTensorsFile.Open(path);
        file.Metadata.Should().BeEquivalentTo(new Dictionary<string, string> { ["a"] = "x \"quoted\" \u00e9\n", ["b"] = "2" });
        file.Tensors.Select(t => t.Name).Should().Equal("z", "a", "empty");
        file.GetMatrix("empty").Rows.Should().Be(0);
        file.GetMatrix("empty").Columns.Should().Be(5);
        file.ReadSingle("a").Should().Equal(2f, 3f);
        file.Contains("a").Should().BeTrue();
        file.Contains("__metadata__").Should().BeFalse();
        FluentActions.Invoking(() => file.GetInfo("missing")).Should().Throw<KeyNotFoundException>().WithMessage($"*{path}*'missing'*");
    }

    [Fact]
    public void Writer_RejectsBadArguments()
    {
        var writer = new SafeTensorsWriter().Add("a", [1f], [1]);
        FluentActions.Invoking(() => writer.Add("a", [1f], [1])).Should().Throw<ArgumentException>().WithMessage("*'a'*");
        FluentActions.Invoking(() => writer.Add("__metadata__", [1f], [1])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => writer.Add("b", [1f, 2f], [3])).Should().Throw<ArgumentException>().WithMessage("*[3]*2 values*");
        FluentActions.Invoking(() => writer.Add("c", [1f], [-1])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => writer.Add("d", [1f], [1], SafeTensorsDataType.F16)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Reader_ConvertsHandBuiltF16()
    {
        ushort[] halves = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x7C00, 0xFC00, 0x3555];
        var path = WriteFile(RawSafeTensors.Build(
            "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,4],\"data_offsets\":[0,16]}}", RawSafeTensors.UInt16s(halves)));

        using var file = SafeTensorsFile.Open(path);
        var values = file.ReadSingle("h");
        values.Should().Equal(1f, -2f, 65504f, MathF.Pow(2, -24), -0f, float.PositiveInfinity, float.NegativeInfinity, 0.333251953125f);
        BitConverter.SingleToUInt32Bits(values[4]).Should().Be(0x80000000u, "-0 keeps its sign");
        var matrix = file.GetMatrix("h");
        matrix.Rows.Should().Be(2);
        matrix[1, 3].Should().Be(0.333251953125f);

        var nan = WriteFile(RawSafeTensors.Build("{\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", RawSafeTensors.UInt16s(0x7E00)), "nan.safetensors");
        using var nanFile = SafeTensorsFile.Open(nan);
        float.IsNaN(nanFile.ReadSingle("h")[0]).Should().BeTrue();
    }

    [Fact]
    public void Reader_ConvertsHandBuiltBF16()
    {
        ushort[] patterns = [0x3F80, 0xC040, 0x0001, 0x7F80, 0x8000, 0x3EAB];
        var path = WriteFile(RawSafeTensors.Build(
            "{\"b\":{\"dtype\":\"BF16\",\"shape\":[6],\"data_offsets\":[0,12]}}", RawSafeTensors.UInt16s(patterns)));

        using var file = SafeTensorsFile.Open(path);
        file.ReadSingle("b").Select(BitConverter.SingleToUInt32Bits).Should().Equal(patterns.Select(p => (uint)p << 16));
        file.ReadSingle("b")[1].Should().Be(-3f);
    }

    [Fact]
    public void Reader_ConvertsHandBuiltF64()
    {
        var path = WriteFile(RawSafeTensors.Build(
            "{\"d\":{\"dtype\":\"F64\",\"shape\":[1,6],\"data_offsets\":[0,48]}}", RawSafeTensors.Doubles(1.5, -2.25, 0.1, 1e-50, 1e300, -0.0)));

        using var file = SafeTensorsFile.Open(path);
        var values = file.GetMatrix("d").Span.ToArray();
        values.Should().Equal(1.5f, -2.25f, 0.1f, 0f, float.PositiveInfinity, -0f);
        BitConverter.SingleToUInt32Bits(values[5]).Should().Be(0x80000000u);
    }

    [Fact]
    public void Reader_ChecksHowTensorsAreRead()
    {
        var path = WriteFile(RawSafeTensors.Build(
            "{\"cube\":{\"dtype\":\"F32\",\"shape\":[1,1,2],\"data_offsets\":[0,8]},\"scalar\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]},\"u8\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[12,16]}}",
            new byte[16]));
        using var file = SafeTensorsFile.Open(path);
        file.ReadSingle("cube").Should().HaveCount(2);
        file.ReadSingle("scalar").Should().HaveCount(1);
        FluentActions.Invoking(() => file.GetMatrix("cube")).Should().Throw<InvalidDataException>().WithMessage($"*{path}*[1, 1, 2]*");
        FluentActions.Invoking(() => file.GetMatrix("scalar")).Should().Throw<InvalidDataException>().WithMessage($"*{path}*");
        FluentActions.Invoking(() => file.ReadSingle("u8")).Should().Throw<InvalidDataException>().WithMessage($"*{path}*U8*");
        FluentActions.Invoking(() => file.ReadSingle("cube", new float[3])).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Reader_AcceptsAnEmptyObjectAndUnpaddedHeaders()
    {
        var empty = WriteFile(RawSafeTensors.Build("{}", [], pad: false), "empty.safetensors");
        using (var file = SafeTensorsFile.Open(empty))
        {
            file.Tensors.Should().BeEmpty();
            file.Metadata.Should().BeEmpty();
        }

        var unpadded = WriteFile(RawSafeTensors.Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", RawSafeTensors.Singles(2f), pad: false), "unpadded.safetensors");
        using (var file = SafeTensorsFile.Open(unpadded))
        {
            file.ReadSingle("a").Should().Equal(2f);
        }
    }

    [Fact]
    public void Reader_MissingFile_Throws()
    {
        var path = _folder.File("absent.safetensors");
        FluentActions.Invoking(() => SafeTensorsFile.Open(path)).Should().Throw<FileNotFoundException>();
    }

    public static TheoryData<string, string, int, string> HostileHeaders() => new()
    {
        // header text, buffer length, expected fragment of the message
        { "not starting with '{'", " {}", 0, "does not start with '{'" },
        { "root is an array", "[]", 0, "does not start with '{'" },
        { "bad JSON", "{\"a\":", 0, "not valid JSON" },
        { "trailing garbage after the object", "{}x", 0, "not valid JSON" },
        { "comment", "{/*c*/}", 0, "not valid JSON" },
        { "trailing comma", "{\"__metadata__\":{\"a\":\"b\"},}", 0, "not valid JSON" },
        { "duplicate tensor", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "'a' twice" },
        { "duplicate metadata block", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "twice" },
        { "duplicate metadata key", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "'k' twice" },
        { "duplicate field in a tensor", "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "'dtype' twice" },
        { "metadata value not a string", "{\"__metadata__\":{\"k\":1}}", 0, "must be strings" },
        { "metadata value null", "{\"__metadata__\":{\"k\":null}}", 0, "must be strings" },
        { "metadata not an object", "{\"__metadata__\":[\"k\"]}", 0, "expected an object of strings" },
        { "tensor not an object", "{\"a\":[1]}", 0, "expected an object" },
        { "unknown dtype", "{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", 16, "dtype 'F128'" },
        { "lower-case dtype", "{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype 'f32'" },
        { "numeric dtype", "{\"a\":{\"dtype\":\"9\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype '9'" },
        { "dtype not a string", "{\"a\":{\"dtype\":9,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "no dtype string" },
        { "missing dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "no dtype string" },
        { "missing shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "no shape array" },
        { "shape not an array", "{\"a\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", 4, "no shape array" },
        { "negative shape entry", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "shape entry -1" },
        { "fractional shape entry", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "shape entry 1.5" },
        { "shape entry 1.0", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", 4, "shape entry 1.0" },
        { "string shape entry", "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4, "shape entry \"1\"" },
        { "huge shape entry", "{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}", 4, "shape entry 99999999999999999999" },
        { "shape product overflows", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,4]}}", 4, "overflows" },
        { "element bytes overflow", "{\"a\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],\"data_offsets\":[0,8]}}", 8, "overflows" },
        { "missing offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "no data_offsets array" },
        { "one offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", 4, "1 data_offsets" },
        { "three offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,4]}}", 4, "3 data_offsets" },
        { "negative offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4, "data_offsets entry -4" },
        { "offsets past the buffer", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "[0, 8]" },
        { "begin after end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "begin <= end" },
        { "size differs from shape x dtype", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "(12 bytes)" },
        { "overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap" },
        { "same range twice", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "overlap" },
        { "hole", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "belong to no tensor" },
        { "hole at the start", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "Bytes [0, 4)" },
        { "trailing bytes", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "no trailing data" },
        { "bytes but no tensor", "{}", 8, "no trailing data" },
        { "nesting too deep", "{\"__metadata__\":{\"a\":[[[[[[[[[[[[1]]]]]]]]]]]]}}", 0, "not valid JSON" },
        { "lone surrogate in a name", "{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "surrogate" },
        { "lone surrogate in metadata", "{\"__metadata__\":{\"k\":\"\\udc00x\"}}", 0, "surrogate" },
        { "lone surrogate in a dtype", "{\"a\":{\"dtype\":\"F3\\ud8002\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "surrogate" },
    };

    [Theory]
    [MemberData(nameof(HostileHeaders))]
    public void Reader_RejectsHostileHeader(string description, string header, int bufferLength, string fragment)
    {
        var path = WriteFile(RawSafeTensors.Build(header, new byte[bufferLength]));
        FluentActions.Invoking(() => SafeTensorsFile.Open(path).Dispose())
            .Should().Throw<InvalidDataException>(description)
            .Which.Message.Should().Contain(path).And.Contain(fragment);
    }

    [Fact]
    public void Reader_RejectsHeaderLengthPastTheEnd()
    {
        var path = WriteFile(RawSafeTensors.Build(1000, "{}"u8, new byte[16]));
        FluentActions.Invoking(() => SafeTensorsFile.Open(path)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(path).And.Contain("1000").And.Contain("only 18");
    }

    [Theory]
    [InlineData(SafeTensorsFile.MaxHeaderBytes + 1)]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 63)]
    public void Reader_RejectsOversizedHeader(ulong declared)
    {
        var path = WriteFile(RawSafeTensors.Build(declared, "{}"u8, []));
        FluentActions.Invoking(() => SafeTensorsFile.Open(path)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(path).And.Contain("at most 100000000");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    public void Reader_RejectsAFileShorterThanTheLengthField(int length)
    {
        var path = WriteFile(new byte[length]);
        FluentActions.Invoking(() => SafeTensorsFile.Open(path)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(path).And.Contain("8-byte header length");
    }

    [Fact]
    public void Reader_RejectsAnEmptyHeader()
    {
        var path = WriteFile(RawSafeTensors.Build(0, [], []));
        FluentActions.Invoking(() => SafeTensorsFile.Open(path)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(path).And.Contain("does not start with '{'");
    }

    [Fact]
    public void Reader_RejectsInvalidUtf8InTheHeader()
    {
        var header = Encoding.UTF8.GetBytes("{\"__metadata__\":{\"k\":\"\u00e9\"}}");
        var index = Array.IndexOf(header, (byte)0xC3);
        header[index] = 0xFF;
        var path = WriteFile(RawSafeTensors.Build((ulong)header.Length, header, []));
        FluentActions.Invoking(() => SafeTensorsFile.Open(path)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(path).And.Contain("UTF-8");
    }
}
