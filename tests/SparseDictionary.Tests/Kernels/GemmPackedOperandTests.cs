using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

/// <summary>Packed right operands and column strips of a packed left operand: the same bits as the plain product.</summary>
public class GemmPackedOperandTests
{
    public static TheoryData<KernelPath> Paths => TestData.Paths();

    [Theory]
    [MemberData(nameof(Paths))]
    public void Packed_right_operand_gives_the_same_bits_as_the_plain_call_in_any_row_blocks(KernelPath path)
    {
        using var _ = KernelPaths.Force(path);
        int m = 250, n = path == KernelPath.Scalar ? 300 : 1000, k = 520;
        float[] a = GemmTestData.RandomMatrix(m * k, 20);
        float[] w = GemmTestData.RandomMatrix(n * k, 21);
        float[] expected = new float[m * n];
        Gemm.Multiply(false, true, m, n, k, 1f, a, k, w, k, 0f, expected, n);

        using PackedRightOperand packed = Gemm.PackRight(true, k, n, w, k);
        packed.Depth.Should().Be(k);
        packed.Columns.Should().Be(n);

        float[] whole = new float[m * n];
        Array.Fill(whole, float.NaN);
        Gemm.Multiply(false, m, 1f, a, k, packed, 0f, whole, n, maxDegreeOfParallelism: 1);
        WeightBits.Of(whole).Should().Equal(WeightBits.Of(expected));

        // Row blocks of awkward heights, each a separate call against the same packed operand.
        float[] blocks = new float[m * n];
        int row = 0;
        foreach (int rows in new[] { 32, 1, 7, 64, 100, 46 })
        {
            Gemm.Multiply(false, rows, 1f, a.AsSpan(row * k), k, packed, 0f, blocks.AsSpan(row * n), n);
            row += rows;
        }

        row.Should().Be(m);
        WeightBits.Of(blocks).Should().Equal(WeightBits.Of(expected));
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Column_strips_of_a_packed_left_operand_give_the_same_bits_as_the_whole_product(KernelPath path)
    {
        // Column ranges starting on any micro-panel (odd ones too), of awkward widths, with beta 0 and 0.5, one and
        // several depth blocks, transposed and plain A.
        using var _ = KernelPaths.Force(path);
        foreach (var (m, n, k, transposeA) in new[] { (37, 200, 290, false), (12, 61, 70, true), (1, 16, 600, false), (25, 100, 256, false) })
        {
            float[] a = GemmTestData.RandomMatrix(m * k, 50);
            float[] b = GemmTestData.RandomMatrix(n * k, 51);
            float[] c0 = GemmTestData.RandomMatrix(m * n, 52);
            using PackedRightOperand packed = Gemm.PackRight(true, k, n, b, k);
            using PackedLeftOperand left = Gemm.PackLeft(transposeA, m, k, a, transposeA ? m : k);
            foreach (float beta in new[] { 0f, 0.5f })
            {
                float[] expected = (float[])c0.Clone();
                Gemm.Multiply(transposeA, true, m, n, k, 0.75f, a, transposeA ? m : k, b, k, beta, expected, n);
                foreach (var (col0, cols) in new[] { (0, n), (16, Math.Min(33, n - 16)), (n / 16 * 16, n - (n / 16 * 16)), (0, 1) })
                {
                    if (cols < 1)
                    {
                        continue;
                    }

                    float[] strip = new float[m * cols];
                    for (int i = 0; i < m; i++)
                    {
                        c0.AsSpan((i * n) + col0, cols).CopyTo(strip.AsSpan(i * cols));
                    }

                    Gemm.MultiplyStrips(left, packed, col0, cols, 0.75f, beta, strip, cols);
                    float[] expectedStrip = new float[m * cols];
                    for (int i = 0; i < m; i++)
                    {
                        expected.AsSpan((i * n) + col0, cols).CopyTo(expectedStrip.AsSpan(i * cols));
                    }

                    WeightBits.Of(strip).Should().Equal(WeightBits.Of(expectedStrip), $"{m} x {n} x {k}, transposeA {transposeA}, beta {beta}, columns [{col0}, {col0 + cols})");
                }
            }
        }
    }

    [Fact]
    public void Column_strips_reject_bad_ranges_and_depths()
    {
        using PackedRightOperand packed = Gemm.PackRight(true, 8, 40, GemmTestData.RandomMatrix(320, 1), 8);
        using PackedLeftOperand left = Gemm.PackLeft(false, 3, 8, GemmTestData.RandomMatrix(24, 2), 8);
        using PackedLeftOperand deeper = Gemm.PackLeft(false, 3, 9, GemmTestData.RandomMatrix(27, 3), 9);
        float[] c = new float[3 * 40];
        Action unaligned = () => Gemm.MultiplyStrips(left, packed, 8, 8, 1f, 0f, c, 40);
        Action outside = () => Gemm.MultiplyStrips(left, packed, 32, 9, 1f, 0f, c, 40);
        Action depth = () => Gemm.MultiplyStrips(deeper, packed, 0, 40, 1f, 0f, c, 40);
        Action shortC = () => Gemm.MultiplyStrips(left, packed, 0, 40, 1f, 0f, new float[100], 40);
        Action noRows = () => Gemm.PackLeft(false, 0, 8, [], 8);
        unaligned.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[8, 16)*multiple of 16*");
        outside.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[32, 41)*40 columns*");
        depth.Should().Throw<ArgumentException>().WithMessage("*depth 9*depth 8*");
        shortC.Should().Throw<ArgumentException>();
        noRows.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Packed_right_operand_matches_reference_for_every_transpose(bool transposeA, bool transposeB)
    {
        const int m = 37, n = 45, k = 290, pad = 3;
        float[] a = GemmTestData.RandomMatrix(((transposeA ? k : m) * ((transposeA ? m : k) + pad)) + 5, 30);
        float[] b = GemmTestData.RandomMatrix(((transposeB ? n : k) * ((transposeB ? k : n) + pad)) + 5, 31);
        int lda = (transposeA ? m : k) + pad, ldb = (transposeB ? k : n) + pad, ldc = n + pad;
        float[] c = GemmTestData.RandomMatrix(m * ldc, 32);
        float[] plain = (float[])c.Clone();

        using PackedRightOperand packed = Gemm.PackRight(transposeB, k, n, b, ldb);
        Gemm.Multiply(transposeA, m, 0.5f, a, lda, packed, 2f, c, ldc);
        Gemm.Multiply(transposeA, transposeB, m, n, k, 0.5f, a, lda, b, ldb, 2f, plain, ldc);

        WeightBits.Of(c).Should().Equal(WeightBits.Of(plain));
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Packed_right_operand_in_a_lent_buffer_gives_the_same_bits(KernelPath path)
    {
        // Lent buffers of exactly the packed length (no room to align), with room, and too short (a rented one is used);
        // n a multiple of 16 (no padded columns) and not.
        using var _ = KernelPaths.Force(path);
        foreach (var (m, n, k) in new[] { (37, 48, 290), (13, 45, 70), (1, 16, 257) })
        {
            float[] a = GemmTestData.RandomMatrix(m * k, 40);
            float[] b = GemmTestData.RandomMatrix(n * k, 41);
            float[] expected = new float[m * n];
            using (PackedRightOperand rented = Gemm.PackRight(true, k, n, b, k))
            {
                Gemm.Multiply(false, m, 1f, a, k, rented, 0f, expected, n);
            }

            int packedLength = k * ((n + 15) / 16 * 16);
            foreach (int length in new[] { packedLength, packedLength + 17, packedLength - 1 })
            {
                float[] lent = GemmTestData.RandomMatrix(length, 42);
                float[] c = new float[m * n];
                using (PackedRightOperand packed = Gemm.PackRight(true, k, n, b, k, destination: lent))
                {
                    Gemm.Multiply(false, m, 1f, a, k, packed, 0f, c, n);
                }

                WeightBits.Of(c).Should().Equal(WeightBits.Of(expected), $"{m} x {n} x {k}, lent {length} of {packedLength}");
            }
        }
    }

    [Fact]
    public void Packed_right_operand_throws_after_dispose()
    {
        PackedRightOperand packed = Gemm.PackRight(false, 2, 2, [1f, 2f, 3f, 4f], 2);
        packed.Dispose();
        packed.Dispose();

        Action act = () => Gemm.Multiply(false, 1, 1f, [1f, 1f], 2, packed, 0f, new float[2], 2);

        act.Should().Throw<ObjectDisposedException>();
    }
}
