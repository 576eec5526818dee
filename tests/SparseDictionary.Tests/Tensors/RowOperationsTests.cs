using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Tensors;

/// <summary>The public row primitives that Metrics and research code build on, against hand-checked values and plain loops.</summary>
public sealed class RowOperationsTests
{
    [Fact]
    public void NormalizedRows_ScalesToUnitNorm_AndKeepsZeroRows()
    {
        var rows = Matrix.FromArray(new float[,] { { 3, 4 }, { 0, 0 }, { 0, -2 } });
        RowOperations.NormalizedRows(rows).Should().Equal(0.6f, 0.8f, 0f, 0f, 0f, -1f);
    }

    [Fact]
    public void NormalizedRows_RefusesANonFiniteRow_NamingIt()
    {
        var rows = Matrix.FromArray(new float[,] { { 1, 2 }, { float.NaN, 0 } });
        FluentActions.Invoking(() => RowOperations.NormalizedRows(rows)).Should().Throw<ArgumentException>().WithMessage("Row 1*");
    }

    [Fact]
    public void CosineSimilarities_HandCase()
    {
        var a = Matrix.FromArray(new float[,] { { 1, 0 }, { 1, 1 } });
        var b = Matrix.FromArray(new float[,] { { 0, 2 }, { 3, 0 }, { -1, -1 } });
        var cosines = RowOperations.CosineSimilarities(a, b);
        var h = MathF.Sqrt(0.5f);
        cosines.Should().BeEquivalentTo([0f, 1f, -h, h, h, -1f], o => o.WithStrictOrdering().Using<float>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-6f)).WhenTypeIs<float>());
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 13, 5)]
    [InlineData(33, 17, 65)]
    [InlineData(3, 0, 4)]
    public void DotProducts_MatchAPlainLoop(int aRows, int bRows, int columns)
    {
        var a = TestData.Gaussian(aRows * columns, 1);
        var b = TestData.Gaussian(bRows * columns, 2);
        var result = new float[aRows * bRows];
        RowOperations.DotProducts(a, aRows, b, bRows, columns, result);
        for (var i = 0; i < aRows; i++)
        {
            for (var j = 0; j < bRows; j++)
            {
                double expected = 0, magnitude = 0;
                for (var c = 0; c < columns; c++)
                {
                    expected += (double)a[(i * columns) + c] * b[(j * columns) + c];
                    magnitude += Math.Abs((double)a[(i * columns) + c] * b[(j * columns) + c]);
                }

                // Float accumulation of `columns` products: at most columns · 2^-24 · Σ|products| (plus the product roundings).
                result[(i * bRows) + j].Should().BeApproximately((float)expected, (float)(((columns + 2) * magnitude * 6e-8) + 1e-30));
            }
        }
    }

    [Fact]
    public void DotProducts_RefusesMismatchedLengths()
    {
        FluentActions.Invoking(() => RowOperations.DotProducts(new float[6], 2, new float[6], 2, 3, new float[3]))
            .Should().Throw<ArgumentException>().WithMessage("*2 x 2 need*4*");
    }

    [Fact]
    public void FirstNonFinite_FindsTheFirst()
    {
        var values = new float[9000];
        RowOperations.FirstNonFinite(values).Should().Be(-1);
        values[8000] = float.NegativeInfinity;
        values[8500] = float.NaN;
        RowOperations.FirstNonFinite(values).Should().Be(8000);
    }

    [Fact]
    public void DataStatistics_HandCase()
    {
        var x = Matrix.FromArray(new float[,] { { 1, 10 }, { 3, 10 }, { 5, 16 } });
        DataStatistics.Mean(x).Should().Equal(3.0, 12.0);
        // Σ ||x - μ||² = (4 + 0 + 4) + (4 + 4 + 16) = 32.
        DataStatistics.TotalVariance(x).Should().Be(32.0);
        var median = DataStatistics.GeometricMedian(Matrix.FromArray(new float[,] { { 0, 0 }, { 0, 0 }, { 1, 0 }, { 0, 1 }, { 0, 0 } }));
        // Three of five points sit at the origin: the geometric median is the origin.
        median[0].Should().BeApproximately(0, 1e-3);
        median[1].Should().BeApproximately(0, 1e-3);
        FluentActions.Invoking(() => DataStatistics.Mean(new Matrix(0, 3))).Should().Throw<ArgumentException>();
    }
}
