using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

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

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void StreamedTopK_GivesTheCodesOfWholeRowBlocks(KernelPath path)
    {
        // 2800 latents: a 96-row block of pre-activations exceeds 1 MiB, so TopK streams; the same TopK behind another
        // type takes the whole-row blocks. Rows: several streaming blocks, and too few rows for one block per core.
        using var _ = KernelPaths.Force(path);
        const int d = 40, latents = 2800, k = 24;
        var streamed = new SparseAutoencoder(d, latents, new TopKActivation(k), seed: 11);
        var whole = new SparseAutoencoder(d, latents, new OpaqueActivation(new TopKActivation(k)), seed: 11);
        // A negative bias: on rows of small inputs fewer than k pre-activations are positive.
        var bias = TestData.Gaussian(latents, 12, 0.3f).Select(b => b - 0.9f).ToArray();
        bias.CopyTo(streamed.EncoderBias.Span);
        bias.CopyTo(whole.EncoderBias.Span);
        EncoderPass.StreamsTopK(streamed).Should().Be(k);
        EncoderPass.StreamsTopK(whole).Should().BeNull();
        EncoderPass.StreamsTopK(new SparseAutoencoder(d, 2000, new TopKActivation(k), seed: 1)).Should().BeNull("a 96-row block of 2000 latents fits in 1 MiB");

        // Dead latents: every 7th, a run across chunk boundaries, the first and the last; and a single one.
        var deadLists = new[]
        {
            Enumerable.Range(0, latents).Where(i => i % 7 == 3 || (i >= 500 && i < 1100) || i == 0 || i == latents - 1).ToArray(),
            new[] { 1234 },
        };

        foreach (var rows in new[] { 700, 13 })
        {
            var x = TestData.GaussianMatrix(rows, d, 13 + rows);
            for (var r = 0; r < rows; r += 5)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(x.Row(r), 0.01f, x.Row(r));
            }

            var expected = new SparseCodes(rows, latents, k);
            var expectedPre = new float[rows * k];
            var expectedCentered = new Matrix(rows, d);
            EncoderPass.Run(whole, x, expected, expectedPre, expectedCentered, null);
            var codes = new SparseCodes(rows, latents, k);
            var pre = new float[rows * k];
            var centered = new Matrix(rows, d);
            EncoderPass.Run(streamed, x, codes, pre, centered, null);

            foreach (var deadLatents in deadLists)
            {
                foreach (var auxK in new[] { 1, 20, 400 })
                {
                    var expectedDead = new DeadLatentRequest(deadLatents, new SparseCodes(rows, latents, auxK));
                    var streamedDead = new DeadLatentRequest(deadLatents, new SparseCodes(rows, latents, auxK));
                    var withDead = new SparseCodes(rows, latents, k);
                    EncoderPass.Run(whole, x, new SparseCodes(rows, latents, k), null, null, expectedDead);
                    EncoderPass.Run(streamed, x, withDead, null, null, streamedDead);
                    withDead.RawIndices.Should().Equal(codes.RawIndices);
                    for (var r = 0; r < rows; r++)
                    {
                        var because = $"{rows} rows, {deadLatents.Length} dead, k_aux {auxK}, row {r}";
                        streamedDead.Codes.Indices(r).ToArray().Should().Equal(expectedDead.Codes.Indices(r).ToArray(), because);
                        streamedDead.Codes.Values(r).ToArray().Should().Equal(expectedDead.Codes.Values(r).ToArray(), because);
                    }
                }
            }

            expected.MeanActive.Should().BeLessThan(k, "some rows must have fewer than k positive entries");
            for (var r = 0; r < rows; r++)
            {
                codes.Indices(r).ToArray().Should().Equal(expected.Indices(r).ToArray(), $"{rows} rows, row {r}");
                codes.Values(r).ToArray().Should().Equal(expected.Values(r).ToArray(), $"{rows} rows, row {r}");
                pre.AsSpan(r * k, codes.Count(r)).ToArray().Should().Equal(expectedPre.AsSpan(r * k, codes.Count(r)).ToArray());
            }

            centered.Span.ToArray().Should().Equal(expectedCentered.Span.ToArray());
        }
    }

    [Fact]
    public void UserActivationDeclaringTopK_GetsTheStreamedEncoder_WithTopKsCodes()
    {
        // A dictionary large enough for the streamed encoder (a block of pre-activations over 1 MiB).
        const int d = 32, latents = 8192, k = 6;
        var declared = new DeclaredTopK(k);
        var custom = new SparseAutoencoder(d, latents, declared, seed: 4);
        var builtIn = new SparseAutoencoder(d, latents, new TopKActivation(k), seed: 4);
        EncoderPass.StreamsTopK(custom).Should().Be(k);

        var input = TestData.GaussianMatrix(40, d, seed: 2);
        var expected = builtIn.Encode(input);
        var actual = custom.Encode(input);
        declared.ForwardCalls.Should().Be(0, "the streamed encoder selects the top k itself");
        for (var r = 0; r < input.Rows; r++)
        {
            actual.Indices(r).ToArray().Should().Equal(expected.Indices(r).ToArray());
            actual.Values(r).ToArray().Should().Equal(expected.Values(r).ToArray());
        }
    }

    /// <summary>A user's TopK: declares the capability, delegates to the built-in, counts its Forward calls.</summary>
    private sealed class DeclaredTopK(int k) : ITopKActivation
    {
        private readonly TopKActivation _inner = new(k);
        private int _forwardCalls;

        public int K => k;

        public int ForwardCalls => _forwardCalls;

        public string Name => $"DeclaredTopK(k={k})";

        public int GetCapacity(int latentCount) => _inner.GetCapacity(latentCount);

        public int Forward(ReadOnlySpan<float> preActivations, Span<int> activeIndices, Span<float> activeValues)
        {
            Interlocked.Increment(ref _forwardCalls);
            return _inner.Forward(preActivations, activeIndices, activeValues);
        }

        public void Backward(ReadOnlySpan<float> activePreActivations, ReadOnlySpan<float> activeValues, Span<float> gradient) =>
            _inner.Backward(activePreActivations, activeValues, gradient);
    }
}
