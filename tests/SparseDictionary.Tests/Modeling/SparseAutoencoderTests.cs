using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Modeling;

public class SparseAutoencoderTests
{
    private static SparseAutoencoder RandomSae(int d, int h, IActivation activation, int seed = 1)
    {
        var sae = new SparseAutoencoder(d, h, activation, seed);
        TestData.Gaussian(h * d, seed + 10, 0.5f).CopyTo(sae.EncoderWeights.Span);
        TestData.Gaussian(h, seed + 11, 0.2f).CopyTo(sae.EncoderBias.Span);
        TestData.Gaussian(d, seed + 12, 0.3f).CopyTo(sae.DecoderBias.Span);
        return sae;
    }

    [Fact]
    public void Constructor_GivesTiedUnitNormInitialisation()
    {
        var sae = new SparseAutoencoder(33, 70, new TopKActivation(4), seed: 5);
        sae.EncoderWeights.Span.ToArray().Should().Equal(sae.DecoderWeights.Span.ToArray());
        for (var i = 0; i < 70; i++)
        {
            Math.Sqrt(sae.DecoderWeights.Row(i).ToArray().Sum(v => (double)v * v)).Should().BeApproximately(1, 1e-6);
        }

        sae.EncoderBias.Span.ToArray().Should().OnlyContain(v => v == 0);
        sae.DecoderBias.Span.ToArray().Should().OnlyContain(v => v == 0);
        new SparseAutoencoder(33, 70, new TopKActivation(4), seed: 5).DecoderWeights.Span.ToArray().Should().Equal(sae.DecoderWeights.Span.ToArray());
        new SparseAutoencoder(33, 70, new TopKActivation(4), seed: 6).DecoderWeights.Span.ToArray().Should().NotEqual(sae.DecoderWeights.Span.ToArray());
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(7, 17, 31, 3)]
    [InlineData(130, 33, 257, 8)]
    public void Encode_MatchesTheFormula(int rows, int d, int h, int k)
    {
        var sae = RandomSae(d, h, new TopKActivation(k));
        var x = TestData.GaussianMatrix(rows, d, 3);
        var codes = sae.Encode(x);
        for (var r = 0; r < rows; r++)
        {
            var pre = new double[h];
            for (var i = 0; i < h; i++)
            {
                pre[i] = sae.EncoderBias.Span[i];
                for (var c = 0; c < d; c++)
                {
                    pre[i] += (double)sae.EncoderWeights[i, c] * (x[r, c] - sae.DecoderBias.Span[c]);
                }
            }

            var expected = Enumerable.Range(0, h).OrderByDescending(i => pre[i]).Take(k).Where(i => pre[i] > 0).ToArray();
            codes.Indices(r).ToArray().Should().BeEquivalentTo(expected, o => o.WithoutStrictOrdering(), $"row {r}");
            for (var j = 0; j < codes.Count(r); j++)
            {
                // d products of O(1) values in float: tolerance d ulps of the magnitude.
                codes.Values(r)[j].Should().BeApproximately((float)pre[codes.Indices(r)[j]], 1e-5f * d);
            }
        }
    }

    [Fact]
    public void Decode_MatchesTheFormula()
    {
        var sae = RandomSae(9, 20, new ReLUActivation());
        var codes = TestData.RandomCodes(6, 20, 5, 2);
        var output = sae.Decode(codes);
        for (var r = 0; r < 6; r++)
        {
            for (var c = 0; c < 9; c++)
            {
                double expected = sae.DecoderBias.Span[c];
                for (var j = 0; j < codes.Count(r); j++)
                {
                    expected += codes.Values(r)[j] * (double)sae.DecoderWeights[codes.Indices(r)[j], c];
                }

                output[r, c].Should().BeApproximately((float)expected, 1e-5f);
            }
        }
    }

    [Fact]
    public void SingleVectorApi_MatchesBatchApi()
    {
        var sae = RandomSae(12, 40, new TopKActivation(6));
        var x = TestData.GaussianMatrix(3, 12, 4);
        var batchCodes = sae.Encode(x);
        var batchRecon = sae.Reconstruct(x);
        var indices = new int[6];
        var values = new float[6];
        var recon = new float[12];
        var decoded = new float[12];
        for (var r = 0; r < 3; r++)
        {
            var count = sae.Encode(x.Row(r), indices, values);
            indices[..count].Should().Equal(batchCodes.Indices(r).ToArray());
            values[..count].Should().Equal(batchCodes.Values(r).ToArray());
            sae.Reconstruct(x.Row(r), recon);
            recon.Should().Equal(batchRecon.Row(r).ToArray());
            sae.Decode(indices.AsSpan(0, count), values.AsSpan(0, count), decoded);
            decoded.Should().Equal(recon);
        }
    }

    [Fact]
    public void Inference_IsSafeForConcurrentReaders()
    {
        var sae = RandomSae(32, 256, new TopKActivation(8));
        var x = TestData.GaussianMatrix(200, 32, 5);
        var expected = sae.Reconstruct(x).Span.ToArray();
        var results = new float[16][];
        Parallel.For(0, 16, i => results[i] = sae.Reconstruct(x).Span.ToArray());
        foreach (var result in results)
        {
            result.Should().Equal(expected);
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Encode_GivesTheSameCodesOnEveryKernelPath(KernelPath path)
    {
        var sae = RandomSae(40, 300, new TopKActivation(7));
        var x = TestData.GaussianMatrix(150, 40, 6);
        var reference = sae.Encode(x);
        using var _ = KernelPaths.Force(path);
        var codes = sae.Encode(x);
        for (var r = 0; r < 150; r++)
        {
            codes.Values(r).ToArray().Should().Equal(reference.Values(r).ToArray(), (a, b) => Math.Abs(a - b) <= 1e-4f * (1 + Math.Abs(b)));
        }
    }

    [Fact]
    public void InitializeDecoderBias_Mean()
    {
        var sample = Matrix.FromArray(new float[,] { { 1, 2 }, { 3, 6 }, { 5, 1 } });
        var sae = new SparseAutoencoder(2, 4, new TopKActivation(1));
        sae.InitializeDecoderBias(sample, DecoderBiasInitialization.Mean);
        sae.DecoderBias.Span.ToArray().Should().Equal(3f, 3f);
    }

    [Fact]
    public void InitializeDecoderBias_GeometricMedian_OfCollinearAndSymmetricPoints()
    {
        // Three points on a line: the median is the middle one. Mean would be (34/3, 0).
        var line = Matrix.FromArray(new float[,] { { 0, 0 }, { 4, 0 }, { 30, 0 } });
        var sae = new SparseAutoencoder(2, 4, new TopKActivation(1));
        sae.InitializeDecoderBias(line, DecoderBiasInitialization.GeometricMedian);
        sae.DecoderBias.Span[0].Should().BeApproximately(4f, 1e-3f);
        sae.DecoderBias.Span[1].Should().BeApproximately(0f, 1e-6f);

        // Square corners plus a far outlier on the diagonal: the median stays near the square, unlike the mean.
        var square = Matrix.FromArray(new float[,] { { 1, 1 }, { -1, 1 }, { 1, -1 }, { -1, -1 }, { 100, 100 } });
        sae.InitializeDecoderBias(square, DecoderBiasInitialization.GeometricMedian);
        var (gx, gy) = (sae.DecoderBias.Span[0], sae.DecoderBias.Span[1]);
        gx.Should().BeApproximately(gy, 1e-4f);

        // On the diagonal y = x = t the gradient of the distance sum vanishes where
        // 2·sqrt(2)·... solve numerically in double as an independent check.
        var t = SolveSquareMedian();
        gx.Should().BeApproximately((float)t, 1e-3f);
    }

    private static double SolveSquareMedian()
    {
        static double Derivative(double t)
        {
            double[][] points = [[1, 1], [-1, 1], [1, -1], [-1, -1], [100, 100]];
            return points.Sum(p =>
            {
                var dx = t - p[0];
                var dy = t - p[1];
                return (dx + dy) / Math.Sqrt((dx * dx) + (dy * dy));
            });
        }

        double lo = 0, hi = 1;
        for (var i = 0; i < 200; i++)
        {
            var mid = (lo + hi) / 2;
            if (Derivative(mid) > 0)
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        return (lo + hi) / 2;
    }

    [Fact]
    public void Constructor_RejectsKLargerThanTheLatentCount_NamingBoth()
    {
        var act = () => new SparseAutoencoder(8, 4, new TopKActivation(5));
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*k = 5*4*");
    }

    [Fact]
    public void Encode_RejectsBadInput_NamingTheValue()
    {
        var sae = new SparseAutoencoder(4, 8, new TopKActivation(2));
        var wrongWidth = () => sae.Encode(new Matrix(2, 5));
        wrongWidth.Should().Throw<ArgumentException>().WithMessage("*5 columns*input dimension is 4*");
        var x = new Matrix(3, 4);
        x[1, 2] = float.NegativeInfinity;
        var nonFinite = () => sae.Encode(x);
        nonFinite.Should().Throw<ArgumentException>().WithMessage("*row 1, column 2 is -Infinity*");
    }

    [Fact]
    public void Clone_IsIndependent()
    {
        var sae = RandomSae(5, 9, new TopKActivation(2));
        var clone = sae.Clone();
        clone.DecoderWeights[0, 0] += 1;
        sae.DecoderWeights[0, 0].Should().NotBe(clone.DecoderWeights[0, 0]);
        clone.EncoderWeights.Span.ToArray().Should().Equal(sae.EncoderWeights.Span.ToArray());
    }
}
