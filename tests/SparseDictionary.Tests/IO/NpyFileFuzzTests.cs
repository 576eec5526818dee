using System.Buffers.Binary;
using System.Text;
using SparseDictionary.IO;
using SparseDictionary.Randomness;
using SparseDictionary.Tests.Support;
using Xunit.Sdk;

namespace SparseDictionary.Tests.IO;

public sealed class NpyFileFuzzTests : IDisposable
{
    private const int Mutants = 12_000;

    private static readonly (string From, string To)[] TextEdits =
    [
        ("'<f4'", "'>f4'"), ("'<f4'", "'<f2'"), ("'<f2'", "'<f4'"), ("'<f4'", "'|O'"), ("'<f4'", "'<f8'"), ("'<f4'", "'=f4'"),
        ("False", "True"), ("False", "0"), ("False", "Fals"), ("(", "["), (")", "]"), (", }", "}"), (", }", ",, }"),
        ("'shape'", "'descr'"), ("'descr'", "'desc'"), ("'", "\""), (": ", ":"), ("{", "{ "), ("}", " }"), ("\n", " "),
        (" ", "\t"), (" ", "\n"), ("False, ", "False,"), ("'<f4'", "\"<f4\""), ("'descr'", "\"descr\""),

        // Edits that keep the file valid: shapes with the same element count, reordered keys.
        ("(3, 5)", "(5, 3)"), ("(3, 5)", "(15, 1)"), ("(4, 3)", "(2, 6)"), ("(4, 3)", "(12, 1)"), ("(2, 7,)", "(7, 2)"),
        ("(2, 7,)", "(14,1,)"), ("(6, 1)", "(3, 2)"), ("(6, 1)", "(1, 6)"), ("(0, 4)", "(0, 9)"), ("(0, 4)", "(123, 0)"),
        ("{'descr': '<f4', 'fortran_order': False, ", "{'fortran_order': False, 'descr': '<f4', "),
    ];

    private static readonly string[] ShapeNumbers =
    [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "12", "-1", "-0", "00", "99999999999999999999", "9223372036854775807",
        "4294967296", "2147483648", "1L", "3.0", "1_0",
    ];

    private const string InsertedCharacters = "{}():,'\" \n-0123456789TF";

    private readonly ScratchFolder _folder = new(inMemory: true);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Mutants_EitherReadConsistentlyOrThrowInvalidData()
    {
        byte[][] seeds =
        [
            [.. NpyFile.HeaderBytes(3, 5), .. NpyBytes.Floats(NpyBytes.Numbered(15))],
            NpyBytes.Padded(2, NpyBytes.Dict(4, 3, "<f2"), NpyBytes.Halves(NpyBytes.Numbered(12))),
            NpyBytes.Padded(3, "{\"shape\": (2, 7,), \"descr\": \"<f4\", \"fortran_order\": False}", NpyBytes.Floats(NpyBytes.Numbered(14))),
            NpyBytes.Padded(1, NpyBytes.Dict(6, 1), NpyBytes.Floats(NpyBytes.Numbered(6)), alignment: 1),
            NpyBytes.Padded(1, NpyBytes.Dict(0, 4), [], alignment: 16),
        ];
        var random = new DeterministicRandom(20_260_601);
        var (accepted, rejected) = (0, 0);
        for (var i = 0; i < Mutants; i++)
        {
            var bytes = seeds[random.NextInt(seeds.Length)];
            var edits = 1 + random.NextInt(3);
            for (var e = 0; e < edits; e++)
            {
                bytes = Mutate(bytes, random);
            }

            // A new file each time: rewriting one file in place costs milliseconds on some disk file systems.
            var path = _folder.File($"mutant-{i}.npy");
            File.WriteAllBytes(path, bytes);
            try
            {
                CheckConsistent(path, bytes);
                accepted++;
            }
            catch (InvalidDataException error) when (error.Message.Contains(path, StringComparison.Ordinal))
            {
                rejected++;
            }
            catch (Exception error) when (error is not XunitException)
            {
                throw new XunitException($"Mutant {i} ({Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 160)))}) threw {error}");
            }
            finally
            {
                File.Delete(path);
            }
        }

        // Both outcomes must be common, or the mutations are too tame or too wild to test much.
        accepted.Should().BeGreaterThan(Mutants / 50);
        rejected.Should().BeGreaterThan(Mutants / 2);
    }

    /// <summary>Opens and reads the mutant, checking every value against an independent decoding of its bytes.</summary>
    private static void CheckConsistent(string path, byte[] bytes)
    {
        using var file = NpyFile.Open(path);
        var size = file.DataType == NpyDataType.Float32 ? 4 : 2;
        if (file.DataOffset + (file.Rows * file.Columns * size) != bytes.Length)
        {
            throw new XunitException($"Accepted a file of {bytes.Length} bytes whose shape ({file.Rows}, {file.Columns}) needs {file.DataOffset + (file.Rows * file.Columns * size)}.");
        }

        // A file without columns may declare any number of rows; read a bounded part of it.
        var rows = (int)Math.Min(file.Rows, file.Columns == 0 ? 1000 : int.MaxValue);
        var view = file.GetRows(0, rows);
        var copy = new float[rows * file.Columns];
        file.ReadRows(0, rows, copy);
        for (var k = 0; k < copy.Length; k++)
        {
            var at = (int)file.DataOffset + (k * size);
            var expected = size == 4 ? BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(at)) : (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(at));
            if (!Same(copy[k], expected) || !Same(view.Span[k], expected))
            {
                throw new XunitException($"Element {k} of {path} reads {copy[k]} / {view.Span[k]} but its bytes hold {expected}.");
            }
        }

        if (file.Columns > 0 && file.Rows > 0)
        {
            using var source = new NpyActivationSource([path], loop: false);
            var batch = new Matrix(rows, file.Columns);
            source.Read(batch).Should().Be(rows);
            if (!batch.Span.SequenceEqual(copy))
            {
                throw new XunitException($"The source over {path} reads other values than the file.");
            }
        }
    }

    private static bool Same(float a, float b) => BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b) || (float.IsNaN(a) && float.IsNaN(b));

    private static byte[] Mutate(byte[] bytes, DeterministicRandom random)
    {
        var headerEnd = Math.Min(bytes.Length, 140);
        switch (random.NextInt(9))
        {
            case 0 when headerEnd > 0: // flip bits in the preamble or header
                return Edited(bytes, b => b[random.NextInt(headerEnd)] ^= (byte)(1 << random.NextInt(8)));
            case 1 when bytes.Length > 0: // a random byte anywhere
                return Edited(bytes, b => b[random.NextInt(b.Length)] = (byte)random.NextInt(256));
            case 2: // truncate
                return bytes[..random.NextInt(bytes.Length + 1)];
            case 3 when bytes.Length >= 12: // change the header length field
                return Edited(bytes, b =>
                {
                    var wide = b[6] != 1;
                    var current = wide ? BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8)) : BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8));
                    var value = random.NextInt(4) switch
                    {
                        0 => current + (uint)random.NextInt(17) - 8,
                        1 => (uint)random.NextInt(256),
                        2 => (uint)(random.NextUInt64() >> 32),
                        _ => wide ? (uint)NpyFile.MaxHeaderBytes + (uint)random.NextInt(3) - 1 : 0xFFFF,
                    };
                    if (wide)
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), value);
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(8), (ushort)value);
                    }
                });
            case 4: // insert bytes, mostly into the header
                {
                    var at = random.NextInt((random.NextInt(4) == 0 ? bytes.Length : headerEnd) + 1);
                    var inserted = new byte[1 + random.NextInt(8)];
                    for (var k = 0; k < inserted.Length; k++)
                    {
                        inserted[k] = random.NextInt(2) == 0 ? (byte)InsertedCharacters[random.NextInt(InsertedCharacters.Length)] : (byte)random.NextInt(256);
                    }

                    return [.. bytes[..at], .. inserted, .. bytes[at..]];
                }

            case 5 when bytes.Length > 0: // delete bytes
                {
                    var at = random.NextInt(bytes.Length);
                    var count = Math.Min(1 + random.NextInt(8), bytes.Length - at);
                    return [.. bytes[..at], .. bytes[(at + count)..]];
                }

            case 6: // append bytes
                return [.. bytes, .. Enumerable.Range(0, 1 + random.NextInt(16)).Select(_ => (byte)random.NextInt(256))];
            case 7: // replace a token of the header text, keeping the length field right half of the time
                {
                    var (from, to) = TextEdits[random.NextInt(TextEdits.Length)];
                    return EditHeader(bytes, random, text => ReplaceOne(text, from, to, random));
                }

            default: // replace a number of the shape
                return EditHeader(bytes, random, text =>
                {
                    var digits = Enumerable.Range(0, text.Length).Where(k => char.IsAsciiDigit(text[k]) && text.LastIndexOf('(', k) > text.LastIndexOf(')', k)).ToArray();
                    if (digits.Length == 0)
                    {
                        return text;
                    }

                    var at = digits[random.NextInt(digits.Length)];
                    var end = at;
                    while (end < text.Length && char.IsAsciiDigit(text[end]))
                    {
                        end++;
                    }

                    while (at > 0 && char.IsAsciiDigit(text[at - 1]))
                    {
                        at--;
                    }

                    return text[..at] + ShapeNumbers[random.NextInt(ShapeNumbers.Length)] + text[end..];
                });
        }
    }

    private static byte[] Edited(byte[] bytes, Action<byte[]> edit)
    {
        var copy = (byte[])bytes.Clone();
        edit(copy);
        return copy;
    }

    /// <summary>Edits the header text of a file whose preamble is intact, then sets its length field right or leaves it.</summary>
    private static byte[] EditHeader(byte[] bytes, DeterministicRandom random, Func<string, string> edit)
    {
        if (bytes.Length < 12 || bytes[6] is < 1 or > 3)
        {
            return bytes;
        }

        var start = bytes[6] == 1 ? 10 : 12;
        var length = bytes[6] == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)), int.MaxValue);
        length = Math.Min(length, bytes.Length - start);
        var text = Encoding.Latin1.GetString(bytes, start, length);
        var edited = Encoding.Latin1.GetBytes(edit(text));
        byte[] result = [.. bytes[..start], .. edited, .. bytes[(start + length)..]];
        if (random.NextInt(2) == 0)
        {
            if (start == 10)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)edited.Length);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)edited.Length);
            }
        }

        return result;
    }

    private static string ReplaceOne(string text, string from, string to, DeterministicRandom random)
    {
        var positions = new List<int>();
        for (var at = text.IndexOf(from, StringComparison.Ordinal); at >= 0; at = text.IndexOf(from, at + 1, StringComparison.Ordinal))
        {
            positions.Add(at);
        }

        if (positions.Count == 0)
        {
            return text;
        }

        var chosen = positions[random.NextInt(positions.Count)];
        return text[..chosen] + to + text[(chosen + from.Length)..];
    }
}
