
namespace SparseDictionary.Metrics.Tests.Similarity;

public class MatchedSimilarityTests
{
    private static Matrix Random(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        return Matrix.Wrap(Enumerable.Range(0, rows * columns).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray(), rows, columns);
    }

    [Fact]
    public void ScaledPermutationOfItself_RecoversThePermutation()
    {
        var a = Random(6, 4, 3);
        int[] permutation = [2, 5, 0, 4, 1, 3];
        var b = new Matrix(6, 4);
        for (var i = 0; i < 6; i++)
        {
            for (var c = 0; c < 4; c++)
            {
                b[permutation[i], c] = 3.5f * a[i, c];
            }
        }

        var matched = MatchedSimilarity.Match(a, b);
        matched.Pairs.Should().Equal(Enumerable.Range(0, 6).Select(i => (i, permutation[i])));
        matched.Cosines.Should().OnlyContain(c => Math.Abs(c - 1) < 1e-5);
        matched.MeanCosine.Should().BeApproximately(1, 1e-5);
    }

    [Fact]
    public void GreedyReusesAColumn_ButTheMatchingIsOneToOne()
    {
        // a0 = (0.8, 0.6), a1 = (1, 0); b0 = (1, 0), b1 = (0, 1).
        // Cosines: a0·b0 = 0.8, a0·b1 = 0.6, a1·b0 = 1, a1·b1 = 0. Greedy max per row picks b0 for both rows.
        // Matchings: {(0,0), (1,1)} totals 0.8 + 0 = 0.8; {(0,1), (1,0)} totals 0.6 + 1 = 1.6 -> optimum, mean 0.8.
        var a = Matrix.FromArray(new float[,] { { 0.8f, 0.6f }, { 1, 0 } });
        var b = Matrix.FromArray(new float[,] { { 1, 0 }, { 0, 1 } });
        FeatureSimilarity.MaxCosinePerRow(a, b).Indices.Should().Equal(0, 0);

        var matched = MatchedSimilarity.Match(a, b);
        matched.Pairs.Should().Equal((0, 1), (1, 0));
        matched.Cosines[0].Should().BeApproximately(0.6f, 1e-6f);
        matched.Cosines[1].Should().BeApproximately(1f, 1e-6f);
        matched.MeanCosine.Should().BeApproximately(0.8, 1e-6);
        MatchedSimilarity.MatchedMeanCosine(a, b).Should().BeApproximately(0.8, 1e-6);
    }

    [Fact]
    public void MoreRowsThanColumns_MatchesEveryRowOfTheSmallerSet()
    {
        // a = {(1,0), (0,1), (1,1)}, b = {(1,0), (0,1)}: the axes take b exactly (total 2); a2 (cosines 0.707) stays unmatched.
        var a = Matrix.FromArray(new float[,] { { 1, 0 }, { 0, 1 }, { 1, 1 } });
        var b = Matrix.FromArray(new float[,] { { 1, 0 }, { 0, 1 } });
        var matched = MatchedSimilarity.Match(a, b);
        matched.Pairs.Should().Equal((0, 0), (1, 1));
        matched.Cosines.Should().Equal(1f, 1f);
        matched.MeanCosine.Should().Be(1);
    }

    [Fact]
    public void FewerRowsThanColumns_MatchesEveryRowOfA()
    {
        // a = {(1,0), (0,1)}, b = {(0,1), (1,1), (1,0)}: a0 -> b2 and a1 -> b0 (cosines 1), b1 unused.
        var a = Matrix.FromArray(new float[,] { { 1, 0 }, { 0, 1 } });
        var b = Matrix.FromArray(new float[,] { { 0, 1 }, { 1, 1 }, { 1, 0 } });
        var matched = MatchedSimilarity.Match(a, b);
        matched.Pairs.Should().HaveCount(2).And.Equal((0, 2), (1, 0));
        matched.MeanCosine.Should().Be(1);
    }

    [Fact]
    public void MatchedMean_NeverExceedsTheMaxCosineMean_OfTheSmallerSet()
    {
        var small = Random(40, 8, 11);
        var large = Random(55, 8, 12);
        MatchedSimilarity.MatchedMeanCosine(small, large).Should().BeLessThanOrEqualTo(FeatureSimilarity.MeanMaxCosine(small, large) + 1e-9);
        MatchedSimilarity.MatchedMeanCosine(large, small).Should().BeLessThanOrEqualTo(FeatureSimilarity.MeanMaxCosine(small, large) + 1e-9);
        MatchedSimilarity.MatchedMeanCosine(small, large).Should().BeApproximately(MatchedSimilarity.MatchedMeanCosine(large, small), 1e-6);
    }

    [Fact]
    public void Match_IsOptimal_AgainstBruteForce()
    {
        var a = Random(5, 3, 21);
        var b = Random(5, 3, 22);
        var matched = MatchedSimilarity.Match(a, b);
        var best = Permutations([0, 1, 2, 3, 4]).Max(p => Enumerable.Range(0, 5).Sum(i => Cosine(a.Row(i).ToArray(), b.Row(p[i]).ToArray())));
        (matched.MeanCosine * 5).Should().BeApproximately(best, 1e-5);
        matched.Pairs.Select(p => p.Column).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void Validation_NamesTheProblem()
    {
        var ok = Random(3, 4, 1);
        FluentActions.Invoking(() => MatchedSimilarity.Match(null!, ok)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => MatchedSimilarity.Match(ok, null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => MatchedSimilarity.Match(new Matrix(0, 4), ok)).Should().Throw<ArgumentException>().WithMessage("*first*empty*");
        FluentActions.Invoking(() => MatchedSimilarity.Match(ok, new Matrix(0, 4))).Should().Throw<ArgumentException>().WithMessage("*second*empty*");
        FluentActions.Invoking(() => MatchedSimilarity.Match(ok, Random(3, 5, 2))).Should().Throw<ArgumentException>().WithMessage("*widths*4*5*");
        var nan = Random(3, 4, 3);
        nan[1, 2] = float.NaN;
        FluentActions.Invoking(() => MatchedSimilarity.Match(ok, nan)).Should().Throw<ArgumentException>().WithMessage("*Row 1*NaN*");
        FluentActions.Invoking(() => MatchedSimilarity.Match(new Matrix(8193, 0), new Matrix(8193, 0)))
            .Should().Throw<ArgumentException>().WithMessage("*8193 x 8193*limit*");
    }

    private static double Cosine(float[] x, float[] y)
    {
        double dot = 0, nx = 0, ny = 0;
        for (var i = 0; i < x.Length; i++)
        {
            dot += x[i] * y[i];
            nx += x[i] * x[i];
            ny += y[i] * y[i];
        }

        return dot / Math.Sqrt(nx * ny);
    }

    private static IEnumerable<int[]> Permutations(int[] items)
    {
        if (items.Length <= 1)
        {
            yield return items;
            yield break;
        }

        for (var i = 0; i < items.Length; i++)
        {
            var rest = items.Where((_, j) => j != i).ToArray();
            foreach (var tail in Permutations(rest))
            {
                yield return [items[i], .. tail];
            }
        }
    }
}
