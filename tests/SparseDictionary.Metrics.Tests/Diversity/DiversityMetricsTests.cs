
namespace SparseDictionary.Metrics.Tests.Diversity;

public class DiversityMetricsTests
{
    private static Matrix Identity(int n)
    {
        var m = new Matrix(n, n);
        for (var i = 0; i < n; i++)
        {
            m[i, i] = 1;
        }

        return m;
    }

    private static Matrix Random(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        return Matrix.Wrap(Enumerable.Range(0, rows * columns).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray(), rows, columns);
    }

    private static Matrix Transform(Matrix m, Func<int, int> rowOf, float scale)
    {
        var result = new Matrix(m.Rows, m.Columns);
        for (var r = 0; r < m.Rows; r++)
        {
            for (var c = 0; c < m.Columns; c++)
            {
                result[rowOf(r), c] = scale * m[r, c];
            }
        }

        return result;
    }

    private static double Cosine(Span<float> a, Span<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    public void EffectiveRank_OfIdentity_IsN(int n) => DiversityMetrics.EffectiveRank(Identity(n)).Should().BeApproximately(n, 1e-9);

    [Fact]
    public void EffectiveRank_OfRankOne_IsOne()
    {
        // Rows are multiples of (1, 2, -1): one nonzero singular value.
        var m = Matrix.FromArray(new float[,] { { 1, 2, -1 }, { -2, -4, 2 }, { 0.5f, 1, -0.5f }, { 0, 0, 0 } });
        DiversityMetrics.EffectiveRank(m).Should().BeApproximately(1, 1e-6);
    }

    [Fact]
    public void EffectiveRank_OfDiag31_IsHandComputed()
    {
        // σ = (3, 1), p = (0.75, 0.25).
        var expected = Math.Exp(-((0.75 * Math.Log(0.75)) + (0.25 * Math.Log(0.25))));
        DiversityMetrics.EffectiveRank(Matrix.FromArray(new float[,] { { 3, 0 }, { 0, 1 } })).Should().BeApproximately(expected, 1e-9);
    }

    [Fact]
    public void EffectiveRank_IsInvariantToRowOrderAndGlobalScale()
    {
        var m = Random(12, 5, 1);
        var reference = DiversityMetrics.EffectiveRank(m);
        DiversityMetrics.EffectiveRank(Transform(m, r => 11 - r, 1)).Should().BeApproximately(reference, 1e-9);
        DiversityMetrics.EffectiveRank(Transform(m, r => r, 4.5f)).Should().BeApproximately(reference, 1e-6);
        reference.Should().BeInRange(1, 5);
    }

    [Fact]
    public void EffectiveRank_OfZeroMatrix_IsZero() => DiversityMetrics.EffectiveRank(new Matrix(3, 2)).Should().Be(0);

    [Fact]
    public void SemanticVolume_OfOrthonormalRows_IsNLogOnePlusEps()
    {
        const double eps = 1e-3;
        DiversityMetrics.SemanticVolume(Identity(4), eps).Should().BeApproximately(4 * Math.Log(1 + eps), 1e-12);

        // Orthonormal but not axis-aligned, and scaled: (3, 4) and (-4, 3) have cosine 0.
        DiversityMetrics.SemanticVolume(Matrix.FromArray(new float[,] { { 3, 4 }, { -8, 6 } }), eps)
            .Should().BeApproximately(2 * Math.Log(1 + eps), 1e-9);
    }

    [Fact]
    public void SemanticVolume_OfTwoIdenticalRows_IsLogOfEpsTimesTwoPlusEps()
    {
        // Gram [[1, 1], [1, 1]] + eps I has det (1 + eps)² - 1 = eps (2 + eps).
        const double eps = 1e-6;
        var m = Matrix.FromArray(new float[,] { { 1, 2, 2 }, { 1, 2, 2 } });
        DiversityMetrics.SemanticVolume(m).Should().BeApproximately(Math.Log(eps * (2 + eps)), 1e-6);
    }

    [Fact]
    public void SemanticVolume_IsInvariantToRowScalingAndOrder()
    {
        var m = Random(6, 8, 2);
        var reference = DiversityMetrics.SemanticVolume(m, 1e-4);
        var scaled = m.Clone();
        int[] factors = [2, 5, 1, 7, 3, 9];
        for (var r = 0; r < 6; r++)
        {
            for (var c = 0; c < 8; c++)
            {
                scaled[r, c] *= factors[r];
            }
        }

        DiversityMetrics.SemanticVolume(scaled, 1e-4).Should().BeApproximately(reference, 1e-5);
        DiversityMetrics.SemanticVolume(Transform(m, r => (r + 2) % 6, 1), 1e-4).Should().BeApproximately(reference, 1e-9);
        reference.Should().BeLessThan(6 * Math.Log(1 + 1e-4));
    }

    [Fact]
    public void UniqueFeatureShare_OfIdentity_IsOne() => DiversityMetrics.UniqueFeatureShare(Identity(5), 0.9).Should().Be(1);

    [Fact]
    public void UniqueFeatureShare_WithOneScaledDuplicate_IsNMinusTwoOverN()
    {
        // Rows 0..3 are e0..e3; row 4 is 2.5 e2, a scaled duplicate of row 2: rows 2 and 4 are not unique -> 3/5.
        var m = new Matrix(5, 4);
        for (var i = 0; i < 4; i++)
        {
            m[i, i] = 1;
        }

        m[4, 2] = 2.5f;
        DiversityMetrics.UniqueFeatureShare(m, 0.9).Should().BeApproximately(3 / 5.0, 1e-12);
    }

    [Fact]
    public void UniqueFeatureShare_SingleRow_IsUnique() => DiversityMetrics.UniqueFeatureShare(Matrix.FromArray(new float[,] { { 1, 2 } }), 0).Should().Be(1);

    [Fact]
    public void UniqueFeatureShare_ZeroRows_AreUniqueExactlyWhenTauIsNonNegative()
    {
        // Zero rows have cosine 0 with everything (including each other); e0 and -e0 have cosine -1.
        // tau = 0.5: every best cosine is 0 -> all unique. tau = -0.5: every best cosine 0 exceeds it -> none unique.
        var m = Matrix.FromArray(new float[,] { { 0, 0 }, { 0, 0 }, { 1, 0 }, { -1, 0 } });
        DiversityMetrics.UniqueFeatureShare(m, 0.5).Should().Be(1);
        DiversityMetrics.UniqueFeatureShare(m, 0).Should().Be(1);
        DiversityMetrics.UniqueFeatureShare(m, -0.5).Should().Be(0);
    }

    [Fact]
    public void UniqueFeatureShare_Chunked_MatchesDirectComputation()
    {
        // 600 rows span three chunks; low dimension and planted near-duplicates give a mix of unique and duplicated rows.
        const int n = 600;
        var m = Random(n, 6, 3);
        var random = new Random(4);
        for (var k = 0; k < 40; k++)
        {
            var source = random.Next(n);
            var target = random.Next(n);
            for (var c = 0; c < 6; c++)
            {
                m[target, c] = (1.7f * m[source, c]) + (0.001f * (float)(random.NextDouble() - 0.5));
            }
        }

        const double tau = 0.97;
        var unique = 0;
        for (var i = 0; i < n; i++)
        {
            var best = double.NegativeInfinity;
            for (var j = 0; j < n; j++)
            {
                if (j != i)
                {
                    best = Math.Max(best, Cosine(m.Row(i), m.Row(j)));
                }
            }

            if (best <= tau)
            {
                unique++;
            }
        }

        unique.Should().BeInRange(1, n - 1);
        DiversityMetrics.UniqueFeatureShare(m, tau).Should().BeApproximately(unique / (double)n, 1e-12);
    }

    [Fact]
    public void FeatureCoverage_OfAPermutation_IsOne()
    {
        var directions = Random(20, 7, 5);
        var bank = Transform(directions, r => (r * 7) % 20, 3);
        DiversityMetrics.FeatureCoverage(bank, directions, 0.99).Should().Be(1);
    }

    [Fact]
    public void FeatureCoverage_OfAnOrthogonalBank_IsZero()
    {
        var bank = Matrix.FromArray(new float[,] { { 0, 0, 1, 0 }, { 0, 0, 0, 2 } });
        var directions = Matrix.FromArray(new float[,] { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 1, 1, 0, 0 } });
        DiversityMetrics.FeatureCoverage(bank, directions, 0.1).Should().Be(0);
    }

    [Fact]
    public void FeatureCoverage_HalfCovered_IsHalf()
    {
        // e0 and e1 are in the directions (e1 scaled); e2 and e3 are not.
        var directions = Matrix.FromArray(new float[,] { { 0, 3, 0, 0 }, { 1, 0, 0, 0 } });
        DiversityMetrics.FeatureCoverage(Identity(4), directions, 0.9).Should().Be(0.5);
    }

    [Fact]
    public void BadInput_IsRejectedWithNamedProblems()
    {
        var ok = Identity(2);
        var nan = Matrix.FromArray(new float[,] { { 1, float.NaN } });
        var infinite = Matrix.FromArray(new float[,] { { float.PositiveInfinity, 1 } });
        var empty = new Matrix(0, 2);
        var wide = new Matrix(2, 3);

        FluentActions.Invoking(() => DiversityMetrics.FeatureCoverage(null!, ok, 0.5)).Should().Throw<ArgumentNullException>().WithParameterName("featureBank");
        FluentActions.Invoking(() => DiversityMetrics.FeatureCoverage(ok, null!, 0.5)).Should().Throw<ArgumentNullException>().WithParameterName("directions");
        FluentActions.Invoking(() => DiversityMetrics.UniqueFeatureShare(null!, 0.5)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => DiversityMetrics.EffectiveRank(null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => DiversityMetrics.SemanticVolume(null!)).Should().Throw<ArgumentNullException>();

        FluentActions.Invoking(() => DiversityMetrics.FeatureCoverage(empty, ok, 0.5)).Should().Throw<ArgumentException>().WithMessage("*empty*0 x 2*");
        FluentActions.Invoking(() => DiversityMetrics.FeatureCoverage(ok, empty, 0.5)).Should().Throw<ArgumentException>().WithMessage("*empty*");
        FluentActions.Invoking(() => DiversityMetrics.UniqueFeatureShare(empty, 0.5)).Should().Throw<ArgumentException>().WithMessage("*empty*");
        FluentActions.Invoking(() => DiversityMetrics.EffectiveRank(new Matrix(2, 0))).Should().Throw<ArgumentException>().WithMessage("*empty*2 x 0*");
        FluentActions.Invoking(() => DiversityMetrics.SemanticVolume(empty)).Should().Throw<ArgumentException>().WithMessage("*empty*");

        FluentActions.Invoking(() => DiversityMetrics.FeatureCoverage(ok, wide, 0.5)).Should().Throw<ArgumentException>().WithMessage("*width 2*width 3*");

        FluentActions.Invoking(() => DiversityMetrics.FeatureCoverage(nan, Matrix.FromArray(new float[,] { { 1, 0 } }), 0.5)).Should().Throw<ArgumentException>().WithMessage("*(0, 1) is NaN*");
        FluentActions.Invoking(() => DiversityMetrics.UniqueFeatureShare(infinite, 0.5)).Should().Throw<ArgumentException>().WithMessage("*infinite*");
        FluentActions.Invoking(() => DiversityMetrics.EffectiveRank(nan)).Should().Throw<ArgumentException>().WithMessage("*(0, 1) is NaN*");
        FluentActions.Invoking(() => DiversityMetrics.SemanticVolume(infinite)).Should().Throw<ArgumentException>().WithMessage("*(0, 0)*finite*");

        FluentActions.Invoking(() => DiversityMetrics.FeatureCoverage(ok, ok, 1.5)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*tau*1.5*");
        FluentActions.Invoking(() => DiversityMetrics.UniqueFeatureShare(ok, -1.01)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*tau*-1.01*");
        FluentActions.Invoking(() => DiversityMetrics.UniqueFeatureShare(ok, double.NaN)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("tau");
        FluentActions.Invoking(() => DiversityMetrics.SemanticVolume(ok, 0)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*epsilon*0*");
        FluentActions.Invoking(() => DiversityMetrics.SemanticVolume(ok, -1e-3)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("epsilon");
        FluentActions.Invoking(() => DiversityMetrics.SemanticVolume(ok, double.PositiveInfinity)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("epsilon");
    }
}
