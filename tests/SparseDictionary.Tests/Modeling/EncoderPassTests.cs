using SparseDictionary.Activations;
using SparseDictionary.Modeling;
using SparseDictionary.Tensors;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Modeling;

public class EncoderPassTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void Blocks_CoverEveryRowOnce_InEvenShares(int workers)
    {
        foreach (var rows in new[] { 0, 1, 5, 95, 96, 97, 383, 384, 1000, 1024, 4099, 10_000 })
        {
            var blocks = EncoderPass.BlockCount(rows, workers);
            if (blocks == 1)
            {
                rows.Should().BeLessThan(2 * workers * EncoderPass.RowBlock, $"{rows} rows, {workers} workers");
                continue;
            }

            (blocks % workers).Should().Be(0, $"{rows} rows, {workers} workers");
            EncoderPass.BlockStart(0, blocks, rows).Should().Be(0);
            EncoderPass.BlockStart(blocks, blocks, rows).Should().Be(rows);
            for (var b = 0; b < blocks; b++)
            {
                var first = EncoderPass.BlockStart(b, blocks, rows);
                var size = EncoderPass.BlockStart(b + 1, blocks, rows) - first;
                (first % 12).Should().Be(0);
                size.Should().BeInRange(1, (3 * EncoderPass.RowBlock / 2) + 12, $"{rows} rows, block {b} of {blocks}");
            }
        }
    }

    [Fact]
    public void ParallelBlocks_GiveTheSameCodesAsOneRowAtATime()
    {
        // 1000 rows run as parallel blocks; each row alone takes the single-block path.
        const int rows = 1000;
        var sae = new SparseAutoencoder(40, 300, new TopKActivation(12), seed: 3);
        TestData.Gaussian(300, 4, 0.3f).CopyTo(sae.EncoderBias.Span);
        var x = TestData.GaussianMatrix(rows, 40, 5);
        var codes = new SparseCodes(rows, 300, 12);
        EncoderPass.Run(sae, x, codes, null, null, null);
        for (var r = 0; r < rows; r += 37)
        {
            var single = new SparseCodes(1, 300, 12);
            EncoderPass.Run(sae, Matrix.Wrap(x.Row(r).ToArray(), 1, 40), single, null, null, null);
            codes.Indices(r).ToArray().Should().Equal(single.Indices(0).ToArray(), $"row {r}");
            codes.Values(r).ToArray().Should().Equal(single.Values(0).ToArray(), $"row {r}");
        }
    }

    [Fact]
    public void PackingIntoALentBuffer_GivesTheSameCodes()
    {
        const int rows = 500;
        var sae = new SparseAutoencoder(40, 320, new TopKActivation(12), seed: 7);
        TestData.Gaussian(320, 8, 0.3f).CopyTo(sae.EncoderBias.Span);
        var x = TestData.GaussianMatrix(rows, 40, 9);
        var expected = new SparseCodes(rows, 320, 12);
        var expectedPre = new float[rows * 12];
        EncoderPass.Run(sae, x, expected, expectedPre, null, null);

        // The encoder gradient's size (latents x d, 320 being a multiple of 16), filled with garbage.
        var lent = TestData.Gaussian(320 * 40, 10);
        var codes = new SparseCodes(rows, 320, 12);
        var pre = new float[rows * 12];
        EncoderPass.Run(sae, x, codes, pre, new Matrix(rows, 40), null, lent);
        codes.RawIndices.Should().Equal(expected.RawIndices);
        codes.RawValues.Should().Equal(expected.RawValues);
        pre.Should().Equal(expectedPre);
    }
}
