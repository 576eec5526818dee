
namespace SparseDictionary.Metrics.Tests.Similarity;

public class FeatureSimilarityTests
{
    private static Matrix Random(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        return Matrix.Wrap(Enumerable.Range(0, rows * columns).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray(), rows, columns);
    }

    [Fact]
    public void MaxCosinePerRow_AcceptsASecondSetOfMoreThan8MiRows()
    {
        // 256 rows against 8,400,000: the products of one 256-row chunk (2.15e9 floats) overflowed an int size and the
        // valid call failed inside the array pool. Sizes are now computed in 64 bits and chunks kept within 64 Mi floats.
        // d = 1: every cosine is +1 or -1 (0 for a zero row), so the best partner is the first row of the same sign.
        const int m = 8_400_000;
        var b = new float[m];
        Array.Fill(b, 2f);
        b[5_000_000] = -3f;
        var a = new float[256];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = i % 3 == 0 ? -1f : i % 3 == 1 ? 0.5f : 0f;
        }

        var matches = FeatureSimilarity.MaxCosinePerRow(Matrix.Wrap(a, 256, 1), Matrix.Wrap(b, m, 1));

        for (var i = 0; i < a.Length; i++)
        {
            var (cosine, index) = i % 3 == 0 ? (1f, 5_000_000) : i % 3 == 1 ? (1f, 0) : (0f, 0);
            matches.Cosines[i].Should().Be(cosine, $"row {i}");
            matches.Indices[i].Should().Be(index, $"row {i}");
        }
    }

    [Fact]
    public void IdentityAgainstAScaledPermutation_MatchesEveryRowExactly()
    {
        var identity = new Matrix(5, 5);
        var permuted = new Matrix(5, 5);
        int[] permutation = [3, 0, 4, 1, 2];
        for (var i = 0; i < 5; i++)
        {
            identity[i, i] = 1;
            permuted[permutation[i], i] = 7.5f;
        }

        var matches = FeatureSimilarity.MaxCosinePerRow(identity, permuted);
        matches.Cosines.Should().OnlyContain(c => Math.Abs(c - 1) < 1e-6);
        matches.Indices.Should().Equal(permutation);
        matches.Mean.Should().BeApproximately(1, 1e-6);
        matches.ShareAbove(0.9).Should().Be(1);
    }

    [Fact]
    public void HandComputedCosines()
    {
        // a0 = (1, 0) vs b = {(1, 1), (0, -2)}: cosines 1/sqrt(2) and 0 -> best 0.7071 at 0.
        // a1 = (0, 3): cosines 1/sqrt(2) and -1 -> best 0.7071 at 0.
        // a2 = (-1, -1): cosines -1 and 1/sqrt(2) -> best 0.7071 at 1.
        var a = Matrix.FromArray(new float[,] { { 1, 0 }, { 0, 3 }, { -1, -1 } });
        var b = Matrix.FromArray(new float[,] { { 1, 1 }, { 0, -2 } });
        var matches = FeatureSimilarity.MaxCosinePerRow(a, b);
        matches.Cosines.Should().AllSatisfy(c => c.Should().BeApproximately(MathF.Sqrt(0.5f), 1e-6f));
        matches.Indices.Should().Equal(0, 0, 1);
        FeatureSimilarity.FeaturesRecovered(a, b, 0.7).Should().Be(1);
        FeatureSimilarity.FeaturesRecovered(a, b, 0.71).Should().Be(0);
    }

    [Fact]
    public void ChunkedComputation_MatchesDirectCosines_AcrossChunkBoundaries()
    {
        var a = Random(600, 13, 1);
        var b = Random(300, 13, 2);
        var matches = FeatureSimilarity.MaxCosinePerRow(a, b);
        for (var i = 0; i < 600; i += 37)
        {
            var best = Enumerable.Range(0, 300).Select(j => Cosine(a.Row(i).ToArray(), b.Row(j).ToArray())).Max();
            ((double)matches.Cosines[i]).Should().BeApproximately(best, 1e-5);
        }
    }

    [Fact]
    public void MeanMaxCosine_IsInvariantToRowOrderOfBAndToScaling()
    {
        var a = Random(40, 9, 3);
        var b = Random(50, 9, 4);
        var reversedScaled = new Matrix(50, 9);
        for (var j = 0; j < 50; j++)
        {
            for (var c = 0; c < 9; c++)
            {
                reversedScaled[49 - j, c] = 3 * b[j, c];
            }
        }

        FeatureSimilarity.MeanMaxCosine(a, reversedScaled).Should().BeApproximately(FeatureSimilarity.MeanMaxCosine(a, b), 1e-6);
    }

    [Fact]
    public void BadInput_IsNamed()
    {
        var widths = () => FeatureSimilarity.MaxCosinePerRow(new Matrix(2, 3), new Matrix(2, 4));
        widths.Should().Throw<ArgumentException>().WithMessage("*widths*3 and 4*");
        var empty = () => FeatureSimilarity.MaxCosinePerRow(new Matrix(2, 3), new Matrix(0, 3));
        empty.Should().Throw<ArgumentException>().WithMessage("*empty*");
        var nan = new Matrix(2, 3);
        nan[1, 1] = float.NaN;
        var act = () => FeatureSimilarity.MaxCosinePerRow(nan, new Matrix(2, 3));
        act.Should().Throw<ArgumentException>().WithMessage("*Row 1*NaN*");
    }

    private static double Cosine(float[] x, float[] y)
    {
        var dot = x.Zip(y).Sum(p => (double)p.First * p.Second);
        return dot / Math.Sqrt(x.Sum(v => (double)v * v) * y.Sum(v => (double)v * v));
    }
}
