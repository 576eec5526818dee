
namespace SparseDictionary.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void Matrix_Wrap_SharesMemory()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        var m = Matrix.Wrap(data, 2, 3);
        m[1, 2].Should().Be(6);
        m[0, 1] = 9;
        data[1].Should().Be(9);
        m.SliceRows(1, 1).Span.ToArray().Should().Equal(4, 5, 6);
        var memory = new Memory<float>(data, 2, 4);
        Matrix.Wrap(memory, 2, 2)[1, 1].Should().Be(6);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(3072 * 768)]
    public void AlignedMemory_StartsOnACacheLine_ZeroedAndUnmoved_WithItsArrayLendable(int length)
    {
        var memory = AlignedMemory.Allocate(length);
        memory.Length.Should().Be(length);
        memory.Span.IndexOfAnyExcept(0f).Should().Be(-1, "the buffer starts zeroed");
        var before = AddressOf(memory.Span);
        (before % 64).Should().Be(0);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        AddressOf(memory.Span).Should().Be(before, "the buffer is pinned, so a compacting collection leaves it where it was");

        // The array lent to the GEMM's packing holds the aligned start within its first 15 floats and the whole buffer.
        var array = AlignedMemory.UnderlyingArray(memory)!;
        var offset = (int)(before - AddressOf(array)) / sizeof(float);
        offset.Should().BeInRange(0, 15);
        (array.Length - offset).Should().BeGreaterThanOrEqualTo(length);

        var copy = AlignedMemory.CopyOf([1f, 2f, 3f]);
        copy.ToArray().Should().Equal(1f, 2f, 3f);
        (AddressOf(copy.Span) % 64).Should().Be(0);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 13)]
    [InlineData(1024, 768)]
    public void Matrix_CreateAligned_StartsOnACacheLine(int rows, int columns)
    {
        var matrix = Matrix.CreateAligned(rows, columns);
        (matrix.Rows, matrix.Columns, matrix.Length).Should().Be((rows, columns, rows * columns));
        matrix.Span.ToArray().Should().OnlyContain(v => v == 0);
        (AddressOf(matrix.Span) % 64).Should().Be(0);
        matrix[rows - 1, columns - 1] = 5;
        matrix.Row(rows - 1)[columns - 1].Should().Be(5);
    }

    [Fact]
    public void Sae_ParametersAndTheirCopies_StartOnCacheLines()
    {
        var sae = new SparseDictionary.SparseAutoencoder(24, 40, new SparseDictionary.TopKActivation(3), seed: 2);
        foreach (var model in new[] { sae, sae.Clone() })
        {
            (AddressOf(model.EncoderWeights.Span) % 64).Should().Be(0);
            (AddressOf(model.DecoderWeights.Span) % 64).Should().Be(0);
            (AddressOf(model.EncoderBias.Span) % 64).Should().Be(0);
            (AddressOf(model.DecoderBias.Span) % 64).Should().Be(0);
        }

        sae.Clone().DecoderWeights.Span.ToArray().Should().Equal(sae.DecoderWeights.Span.ToArray());
    }

    private static unsafe nuint AddressOf(ReadOnlySpan<float> span) =>
        (nuint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(span));

    private static unsafe nuint AddressOf(float[] array) =>
        (nuint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(array));

    [Fact]
    public void Matrix_RejectsMismatchedLengthsAndIndices()
    {
        var wrap = () => Matrix.Wrap(new float[5], 2, 3);
        wrap.Should().Throw<ArgumentException>().WithMessage("*5 elements*2 x 3*6*");
        var m = new Matrix(2, 3);
        var read = () => m[2, 0];
        read.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*(2, 0)*2 x 3*");
        m.ToArray().GetLength(1).Should().Be(3);
    }

    [Fact]
    public void SparseCodes_SetRow_ValidatesAndRoundTrips()
    {
        var codes = new SparseCodes(2, 10, 3);
        codes.SetRow(1, [7, 2], [0.5f, 1.5f]);
        codes.Count(1).Should().Be(2);
        codes.Indices(1).ToArray().Should().Equal(7, 2);
        codes.ToDense()[1, 2].Should().Be(1.5f);
        codes.TotalActive.Should().Be(2);
        codes.MeanActive.Should().Be(1);
        var repeated = () => codes.SetRow(0, [3, 3], [1f, 1f]);
        repeated.Should().Throw<ArgumentException>().WithMessage("*3 appears more than once*");
        var outside = () => codes.SetRow(0, [10], [1f]);
        outside.Should().Throw<ArgumentException>().WithMessage("*10*[0, 10)*");
        codes.Count(0).Should().Be(0, "a rejected row stays unchanged");
    }
}
