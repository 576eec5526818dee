using System.Text;
using SparseDictionary.IO;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.IO;

public sealed class NpyFileHostileTests : IDisposable
{
    private static readonly byte[] SixFloats = NpyBytes.Floats(NpyBytes.Numbered(6));

    /// <summary>Each hostile file, and a fragment its error message must contain (besides the path).</summary>
    private static readonly Dictionary<string, (Func<byte[]> Bytes, string Fragment)> Cases = new()
    {
        ["empty file"] = (() => [], "magic"),
        ["bad magic"] = (() => [.. Encoding.Latin1.GetBytes("\x93NUMPZ\x01\x00\x10\x00"), .. new byte[16]], "magic"),
        ["a zip (.npz) file"] = (() => [0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0, 0], "magic"),
        ["magic only"] = (() => NpyBytes.Magic, "too short"),
        ["version 4.0"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3), SixFloats).With(6, 4), "version 4.0"),
        ["version 0.0"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3), SixFloats).With(6, 0), "version 0.0"),
        ["version 1.1"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3), SixFloats).With(7, 1), "version 1.1"),
        ["no header length"] = (() => [.. NpyBytes.Magic, 2, 0, 0x10, 0], "too short"),
        ["header length past the end"] = (() => NpyBytes.Raw(1, 0, NpyBytes.Dict(0, 3) + "\n", [], headerLength: 4000), "only"),
        ["v2 header length past the end"] = (() => NpyBytes.Raw(2, 0, NpyBytes.Dict(0, 3) + "\n", [], headerLength: uint.MaxValue), "at most"),
        ["oversized header"] = (() => NpyBytes.Padded(2, NpyBytes.Dict(0, 3), [], alignment: NpyFile.MaxHeaderBytes + 1024), "at most"),
        ["empty header"] = (() => NpyBytes.Raw(1, 0, string.Empty, []), "'{'"),
        ["not a dict"] = (() => NpyBytes.Padded(1, "('<f4', False, (2, 3))", SixFloats), "'{'"),
        ["leading space"] = (() => NpyBytes.Padded(1, " " + NpyBytes.Dict(2, 3), SixFloats), "'{'"),
        ["no newline"] = (() => NpyBytes.Raw(1, 0, NpyBytes.Dict(2, 3) + "   ", SixFloats), "newline"),
        ["text after the dict"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3) + " x", SixFloats), "'x'"),
        ["two newlines"] = (() => NpyBytes.Raw(1, 0, NpyBytes.Dict(2, 3) + "\n\n", SixFloats), "newline"),
        ["tab"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace(": ", ":\t", StringComparison.Ordinal), SixFloats), "U+0009"),
        ["unclosed dict"] = (() => NpyBytes.Padded(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", SixFloats), "','"),
        ["missing colon"] = (() => NpyBytes.Padded(1, "{'descr' '<f4', 'fortran_order': False, 'shape': (2, 3)}", SixFloats), "':'"),
        ["unquoted key"] = (() => NpyBytes.Padded(1, "{descr: '<f4', 'fortran_order': False, 'shape': (2, 3)}", SixFloats), "key"),
        ["unterminated string"] = (() => NpyBytes.Padded(1, "{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3)}", SixFloats), "','"),
        ["escape in a string"] = (() => NpyBytes.Padded(1, "{'descr': '<\\x66\\x34', 'fortran_order': False, 'shape': (2, 3)}", SixFloats), "escape"),
        ["comma only"] = (() => NpyBytes.Padded(1, "{,}", SixFloats), "key"),
        ["double comma"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace(", }", ",, }", StringComparison.Ordinal), SixFloats), "key"),
        ["parenthesised integer"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("(2, 3)", "(6)", StringComparison.Ordinal), SixFloats), "trailing comma"),
        ["unclosed tuple"] = (() => NpyBytes.Padded(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3}", SixFloats), "')'"),
        ["leading zero"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("(2, 3)", "(02, 3)", StringComparison.Ordinal), SixFloats), "leading zero"),
        ["python 2 long"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("(2, 3)", "(2L, 3L)", StringComparison.Ordinal), SixFloats), "plain decimal"),
        ["float dimension"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("(2, 3)", "(2.0, 3)", StringComparison.Ordinal), SixFloats), "plain decimal"),
        ["list shape"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("(2, 3)", "[2, 3]", StringComparison.Ordinal), SixFloats), "list"),
        ["structured dtype"] = (() => NpyBytes.Padded(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,)}", SixFloats), "structured"),
        ["None value"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("False", "None", StringComparison.Ordinal), SixFloats), "'N'"),
        ["lowercase false"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("False", "false", StringComparison.Ordinal), SixFloats), "'f'"),
        ["Falsey"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("False", "Falsey", StringComparison.Ordinal), SixFloats), "'F'"),
        ["nested dict"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("False", "{}", StringComparison.Ordinal), SixFloats), "'{'"),
        ["missing shape"] = (() => NpyBytes.Padded(1, "{'descr': '<f4', 'fortran_order': False, }", SixFloats), "no 'shape'"),
        ["empty dict"] = (() => NpyBytes.Padded(1, "{}", SixFloats), "no 'descr'"),
        ["duplicate key"] = (() => NpyBytes.Padded(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", SixFloats), "twice"),
        ["unknown key"] = (() => NpyBytes.Padded(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': True}", SixFloats), "'extra'"),
        ["fortran order"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("False", "True", StringComparison.Ordinal), SixFloats), "Fortran"),
        ["fortran order not a bool"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("False", "'no'", StringComparison.Ordinal), SixFloats), "True or False"),
        ["descr not a string"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("'<f4'", "True", StringComparison.Ordinal), SixFloats), "dtype string"),
        ["shape not a tuple"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("(2, 3)", "'2x3'", StringComparison.Ordinal), SixFloats), "tuple"),
        ["big-endian float32"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3, ">f4"), SixFloats), "big-endian"),
        ["big-endian float16"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 6, ">f2"), SixFloats), "big-endian"),
        ["object array"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3, "|O"), SixFloats), "Python objects"),
        ["float64"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(1, 3, "<f8"), SixFloats), "'<f8'"),
        ["int32"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3, "<i4"), SixFloats), "'<i4'"),
        ["byte order not applicable"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3, "|f4"), SixFloats), "'|f4'"),
        ["dtype name"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3, "float32"), SixFloats), "'float32'"),
        ["1-D"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("(2, 3)", "(6,)", StringComparison.Ordinal), SixFloats), "2-D"),
        ["3-D"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("(2, 3)", "(1, 2, 3)", StringComparison.Ordinal), SixFloats), "2-D"),
        ["scalar"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("(2, 3)", "()", StringComparison.Ordinal), NpyBytes.Floats(1)), "2-D"),
        ["negative rows"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(-2, -3), SixFloats), "negative"),
        ["negative columns"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(-1, 0), []), "negative"),
        ["size overflowing 64 bits"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(long.MaxValue / 2, 2), SixFloats), "overflows"),
        ["integer overflowing 64 bits"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("(2, 3)", "(99999999999999999999, 3)", StringComparison.Ordinal), SixFloats), "overflows 64 bits"),
        ["too many columns"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(0, 1L << 32), []), "columns"),
        ["data one byte short"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3), SixFloats[..^1]), "needs 24"),
        ["data one byte long"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3), [.. SixFloats, 0]), "needs 24"),
        ["huge shape, small file"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(1L << 40, 1L << 20), SixFloats), "needs"),
        ["float16 size as float32"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3, "<f2"), SixFloats), "needs 12"),
        ["invalid UTF-8 in version 3"] = (() => NpyBytes.Raw(3, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3)}\n", []).With(13, 0xFF), "UTF-8"),
        ["control character in a key"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("'descr'", "'de\u0001scr'", StringComparison.Ordinal), SixFloats), "control"),
        ["latin1 key"] = (() => NpyBytes.Padded(1, NpyBytes.Dict(2, 3).Replace("'descr'", "'d\u00e9scr'", StringComparison.Ordinal), SixFloats), "'d\u00e9scr'"),
    };

    private readonly ScratchFolder _folder = new();

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Keys)
        {
            data.Add(name);
        }

        return data;
    }

    public void Dispose() => _folder.Dispose();

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Open_RejectsHostileFile_WithAMessageNamingThePathAndTheProblem(string name)
    {
        var (bytes, fragment) = Cases[name];
        var path = _folder.Write("hostile.npy", bytes());

        var act = () => NpyFile.Open(path).Dispose();

        var error = act.Should().Throw<InvalidDataException>().Which;
        error.Message.Should().Contain(path).And.Contain(fragment);
    }

    [Fact]
    public void Open_RejectsAHeaderOverTheCap_EvenWhenTheFileIsThatLong()
    {
        var dict = NpyBytes.Dict(0, 3);
        var bytes = NpyBytes.Raw(2, 0, dict + new string(' ', NpyFile.MaxHeaderBytes - dict.Length) + "\n", []);
        var path = _folder.Write("big.npy", bytes);
        var act = () => NpyFile.Open(path).Dispose();
        act.Should().Throw<InvalidDataException>().WithMessage($"*{path}*{NpyFile.MaxHeaderBytes + 1} bytes*at most {NpyFile.MaxHeaderBytes}*");

        var atCap = NpyBytes.Raw(2, 0, dict + new string(' ', NpyFile.MaxHeaderBytes - dict.Length - 1) + "\n", []);
        using var file = NpyFile.Open(_folder.Write("cap.npy", atCap));
        file.DataOffset.Should().Be(12 + NpyFile.MaxHeaderBytes);
    }

    [Theory]
    [InlineData("{'KEY': '<f4', 'fortran_order': False, 'shape': (2, 3)}")]
    [InlineData("{'KEY' '<f4', 'fortran_order': False, 'shape': (2, 3)}")]
    [InlineData("{'descr': 'KEY', 'fortran_order': False, 'shape': (2, 3)}")]
    [InlineData("{'descr': '<f4', 'fortran_order': 'KEY', 'shape': (2, 3)}")]
    [InlineData("{'descr': '<f4', 'KEY': False, 'KEY': False, 'shape': (2, 3)}")]
    public void Open_QuotesOnlyABoundedPartOfALongHeader(string template)
    {
        var path = _folder.Write("long.npy", NpyBytes.Padded(2, template.Replace("KEY", new string('k', 200_000), StringComparison.Ordinal), SixFloats));
        var act = () => NpyFile.Open(path).Dispose();
        act.Should().Throw<InvalidDataException>().Which.Message.Length.Should().BeLessThan(path.Length + 400);
    }

    [Fact]
    public void Open_RejectsAManyKeyHeader_Quickly()
    {
        // A header of 60,000 distinct keys: a quadratic duplicate check would take minutes.
        var dict = "{" + string.Concat(Enumerable.Range(0, 60_000).Select(i => $"'{i}':True,")) + "}";
        var path = _folder.Write("keys.npy", NpyBytes.Padded(2, dict, []));
        var act = () => NpyFile.Open(path).Dispose();
        act.Should().Throw<InvalidDataException>().WithMessage($"*{path}*has the key '0'*");
    }
}

/// <summary>Byte-array edits for hostile test files.</summary>
internal static class ByteArrayEdits
{
    public static byte[] With(this byte[] bytes, int index, byte value)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] = value;
        return copy;
    }
}
