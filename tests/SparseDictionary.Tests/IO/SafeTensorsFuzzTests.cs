using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using SparseDictionary.IO;
using SparseDictionary.Tests.Support;
using Xunit.Abstractions;

namespace SparseDictionary.Tests.IO;

/// <summary>
/// Seeded mutation testing of the safetensors reader: every mutant of a few valid files is opened and every tensor read;
/// each must either succeed or throw <see cref="InvalidDataException"/>, never anything else.
/// </summary>
public sealed class SafeTensorsFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int MutantsPerSeedFile = 5000;

    private readonly TemporaryDirectory _folder = new(inMemory: true);

    public void Dispose() => _folder.Dispose();

    /// <summary>Valid files: mixed dtypes with metadata, BF16, hand-built F16/F64, scalars and empty tensors.</summary>
    private static List<(string Name, byte[] Bytes)> SeedFiles()
    {
        var files = new List<(string, byte[])>();

        using (var stream = new MemoryStream())
        {
            new SafeTensorsWriter()
                .SetMetadata("format", "pt").SetMetadata("step", "1200")
                .Add("encoder.weight", TestData.Gaussian(24, 1), [6, 4])
                .Add("encoder.bias", TestData.Gaussian(6, 2), [6])
                .Add("ids", [3L, -9L, long.MaxValue], [3])
                .Add("counts", [1, 2, 3, 4], [2, 2])
                .WriteTo(stream);
            files.Add(("mixed", stream.ToArray()));
        }

        using (var stream = new MemoryStream())
        {
            new SafeTensorsWriter()
                .Add("W_dec", TestData.Gaussian(15, 3), [5, 3], SafeTensorsDataType.BF16)
                .Add("b_dec", TestData.Gaussian(3, 4), [3], SafeTensorsDataType.BF16)
                .WriteTo(stream);
            files.Add(("bf16", stream.ToArray()));
        }

        var f16 = RawSafeTensors.UInt16s(0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x3555);
        var f64 = RawSafeTensors.Doubles(1.5, -2.25, 1e300);
        files.Add(("f16-f64", RawSafeTensors.Build(
            "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]},\"d\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[12,36]}}",
            [.. f16, .. f64])));

        files.Add(("scalars", RawSafeTensors.Build(
            "{\"__metadata__\":{\"a\":\"\"},\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"e\":{\"dtype\":\"F32\",\"shape\":[0,7],\"data_offsets\":[4,4]},\"u\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[4,7]}}",
            [0, 0, 128, 63, 1, 2, 3])));
        return files;
    }

    [Fact]
    public async Task Mutants_EitherReadOrThrowInvalidData()
    {
        // A hang in the reader fails the test instead of stalling the run.
        var run = Task.Run(RunMutants);
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(120)));
        finished.Should().BeSameAs(run, "the reader must not hang on any mutant");
        await run;
    }

    private void RunMutants()
    {
        var seeds = SeedFiles();
        foreach (var (name, bytes) in seeds)
        {
            // The seeds themselves are valid (the U8 tensor of one is rejected by ReadSingle, as it must be).
            Read(Write(bytes)).Should().Be(name == "scalars" ? "tensor rejected" : "read", name);
        }

        var random = new Random(20240611);
        var outcomes = new Dictionary<string, Dictionary<string, int>>();
        var watch = Stopwatch.StartNew();
        var total = 0;
        foreach (var (name, bytes) in seeds)
        {
            for (var m = 0; m < MutantsPerSeedFile; m++)
            {
                var (kind, mutant) = Mutate(bytes, random);
                var path = Write(mutant);
                string outcome;
                try
                {
                    outcome = Read(path);
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException(
                        $"Mutant {m} of '{name}' ({kind}) threw {e.GetType().Name}: {e.Message}\nBytes: {Convert.ToHexString(mutant)}\n{e}");
                }

                var counts = outcomes.TryGetValue(kind, out var found) ? found : outcomes[kind] = [];
                counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
                total++;
            }
        }

        watch.Stop();
        output.WriteLine($"{total} mutants in {watch.Elapsed.TotalSeconds:F2} s");
        foreach (var (kind, counts) in outcomes.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{kind,-22} " + string.Join("  ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}")));
        }

        int Count(string outcome) => outcomes.Values.Sum(o => o.GetValueOrDefault(outcome));
        total.Should().BeGreaterThanOrEqualTo(10_000);
        Count("rejected").Should().BeGreaterThan(total / 2, "most mutants break the format");
        Count("read").Should().BeGreaterThan(0, "some mutants (e.g. changed data bytes) stay valid");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60));
    }

    private string Write(byte[] bytes)
    {
        var path = _folder.File("mutant.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>
    /// Opens the file and reads every tensor the way its dtype allows. Returns "read" when everything was read,
    /// "rejected" when opening threw <see cref="InvalidDataException"/>, "tensor rejected" when a read did (e.g. a matrix
    /// view of a [0, 2^32] tensor); any other exception escapes. Plain checks, not assertions: this runs 10,000 times.
    /// </summary>
    private static string Read(string path)
    {
        SafeTensorsFile file;
        try
        {
            file = SafeTensorsFile.Open(path);
        }
        catch (InvalidDataException e)
        {
            Check(e.Message.Contains(path, StringComparison.Ordinal), $"the message names the path: {e.Message}");
            return "rejected";
        }

        var outcome = "read";
        using (file)
        {
            _ = file.Metadata.Count;
            var position = 0L;
            foreach (var tensor in file.Tensors)
            {
                // What was accepted is self-consistent: contiguous ranges covering the buffer.
                Check(tensor.DataStart == position && ReferenceEquals(file.GetInfo(tensor.Name), tensor), $"tensor '{tensor.Name}' follows the previous one");
                position = tensor.DataEnd;
                try
                {
                    ReadTensor(file, tensor);
                }
                catch (InvalidDataException e)
                {
                    Check(e.Message.Contains(path, StringComparison.Ordinal), $"the message names the path: {e.Message}");
                    outcome = "tensor rejected";
                }
            }

            Span<byte> length = stackalloc byte[8];
            using (var stream = File.OpenRead(path))
            {
                stream.ReadExactly(length);
                Check(8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(length) + position == stream.Length, "the tensors cover the buffer");
            }
        }

        return outcome;
    }

    private static void ReadTensor(SafeTensorsFile file, SafeTensorInfo tensor)
    {
        switch (tensor.DataType)
        {
            case SafeTensorsDataType.F32 or SafeTensorsDataType.F16 or SafeTensorsDataType.BF16 or SafeTensorsDataType.F64:
                var values = file.ReadSingle(tensor.Name);
                Check(values.LongLength == tensor.ElementCount, "ReadSingle returns every element");
                var matrix = file.GetMatrix(tensor.Name);
                Check(tensor.Shape.Count is 1 or 2, "only 1-D and 2-D tensors are matrices");
                var span = matrix.Span;
                for (var i = 0; i < values.Length; i++)
                {
                    Check(BitConverter.SingleToUInt32Bits(span[i]) == BitConverter.SingleToUInt32Bits(values[i]), "GetMatrix and ReadSingle agree");
                }

                break;
            case SafeTensorsDataType.I64:
                Check(file.ReadInt64(tensor.Name).LongLength == tensor.ElementCount, "ReadInt64 returns every element");
                break;
            case SafeTensorsDataType.I32:
                Check(file.ReadInt32(tensor.Name).LongLength == tensor.ElementCount, "ReadInt32 returns every element");
                break;
            default:
                file.ReadSingle(tensor.Name);
                throw new Xunit.Sdk.XunitException($"ReadSingle accepted a {tensor.DataType} tensor");
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new Xunit.Sdk.XunitException("Violated: " + what);
        }
    }

    private static (string Kind, byte[] Bytes) Mutate(byte[] seed, Random random)
    {
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(seed);
        var bytes = (byte[])seed.Clone();
        switch (random.Next(10))
        {
            case 0:
            {
                // 1-4 random bytes anywhere get random values.
                var flips = random.Next(1, 5);
                for (var i = 0; i < flips; i++)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                return ("byte flips", bytes);
            }

            case 1:
            {
                // Single bit flips inside the header.
                var position = 8 + random.Next(headerLength);
                bytes[position] ^= (byte)(1 << random.Next(8));
                return ("header bit flip", bytes);
            }

            case 2:
                return ("truncation", bytes[..random.Next(bytes.Length)]);

            case 3:
            {
                // The length field: small deltas, random values, the extremes.
                var value = random.Next(4) switch
                {
                    0 => (ulong)(headerLength + random.Next(-9, 10)),
                    1 => (ulong)random.NextInt64(),
                    2 => (ulong)random.Next(bytes.Length + 16),
                    _ => random.Next(2) == 0 ? ulong.MaxValue - (ulong)random.Next(16) : (ulong)SafeTensorsFile.MaxHeaderBytes + (ulong)random.Next(-2, 3),
                };
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
                return ("header length", bytes);
            }

            case 4:
            {
                var position = random.Next(bytes.Length + 1);
                var inserted = new byte[random.Next(1, 9)];
                random.NextBytes(inserted);
                return ("insertion", [.. bytes[..position], .. inserted, .. bytes[position..]]);
            }

            case 5:
            {
                var position = random.Next(bytes.Length);
                var count = Math.Min(random.Next(1, 9), bytes.Length - position);
                return ("deletion", [.. bytes[..position], .. bytes[(position + count)..]]);
            }

            case 6:
                return ("number edit", EditHeader(bytes, headerLength, random, EditNumber));

            case 7:
                return ("token edit", EditHeader(bytes, headerLength, random, EditToken));

            case 8:
                return ("header splice", EditHeader(bytes, headerLength, random, SpliceText));

            default:
            {
                // The same edit with the length field kept consistent, so the JSON parser sees the changed text.
                var edited = EditHeader(bytes, headerLength, random, random.Next(3) switch { 0 => EditNumber, 1 => EditToken, _ => SpliceText });
                return ("consistent text edit", edited);
            }
        }
    }

    /// <summary>Applies <paramref name="edit"/> to the header text and rewrites the length field to the new header's length.</summary>
    private static byte[] EditHeader(byte[] bytes, int headerLength, Random random, Func<string, Random, string> edit)
    {
        var text = Encoding.UTF8.GetString(bytes, 8, headerLength);
        var header = Encoding.UTF8.GetBytes(edit(text, random));
        var buffer = bytes.AsSpan(8 + headerLength);
        var result = new byte[8 + header.Length + buffer.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)header.Length);
        header.CopyTo(result, 8);
        buffer.CopyTo(result.AsSpan(8 + header.Length));
        return result;
    }

    private static readonly string[] NumberReplacements =
    [
        "0", "1", "-1", "2", "3", "4", "7", "8", "12", "16", "255", "4294967296", "2147483647", "2147483648", "9223372036854775807",
        "9223372036854775808", "18446744073709551615", "99999999999999999999999", "-0", "1.0", "1e3", "0.5", "01", "NaN", "null", "\"4\"", "[]",
    ];

    /// <summary>Replaces one number in the text by a neighbour or an awkward value.</summary>
    private static string EditNumber(string text, Random random)
    {
        var numbers = new List<(int Start, int Length)>();
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsAsciiDigit(text[i]))
            {
                var start = i;
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    i++;
                }

                numbers.Add((start, i - start));
            }
        }

        if (numbers.Count == 0)
        {
            return text;
        }

        var (position, length) = numbers[random.Next(numbers.Count)];
        var replacement = random.Next(3) == 0 && long.TryParse(text.AsSpan(position, length), out var value)
            ? (value + random.Next(-5, 6)).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : NumberReplacements[random.Next(NumberReplacements.Length)];
        return string.Concat(text.AsSpan(0, position), replacement, text.AsSpan(position + length));
    }

    private static readonly string[] Tokens =
    [
        "\"F32\"", "\"F16\"", "\"BF16\"", "\"F64\"", "\"I64\"", "\"I32\"", "\"U8\"", "\"BOOL\"", "\"F8_E4M3\"", "\"f32\"", "\"\"",
        "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800",
        "null", "true", "[]", "{}", " ", "\u00e9", "\u20ac",
    ];

    /// <summary>Replaces, inserts or deletes one JSON token or punctuation mark.</summary>
    private static string EditToken(string text, Random random)
    {
        var position = random.Next(text.Length + 1);
        var token = Tokens[random.Next(Tokens.Length)];
        return random.Next(3) switch
        {
            0 => text.Insert(position, token),
            1 when position < text.Length => text.Remove(position, 1).Insert(position, token),
            _ => ReplaceOneOccurrence(text, random),
        };
    }

    private static string ReplaceOneOccurrence(string text, Random random)
    {
        var from = Tokens[random.Next(Tokens.Length)];
        var index = text.IndexOf(from, StringComparison.Ordinal);
        return index < 0 ? text : string.Concat(text.AsSpan(0, index), Tokens[random.Next(Tokens.Length)], text.AsSpan(index + from.Length));
    }

    /// <summary>Duplicates, removes or moves a random span of the header text.</summary>
    private static string SpliceText(string text, Random random)
    {
        if (text.Length < 2)
        {
            return text + text;
        }

        var start = random.Next(text.Length);
        var length = random.Next(1, Math.Min(40, text.Length - start) + 1);
        var piece = text.Substring(start, length);
        return random.Next(3) switch
        {
            0 => text.Insert(start, piece),
            1 => text.Remove(start, length),
            _ => text.Remove(start, length).Insert(random.Next(text.Length - length + 1), piece),
        };
    }
}
