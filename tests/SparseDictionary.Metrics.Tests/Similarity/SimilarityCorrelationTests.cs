
namespace SparseDictionary.Metrics.Tests.Similarity;

public class SimilarityCorrelationTests
{
    [Fact]
    public void Pearson_HandExample()
    {
        // x = 1,2,3,4 (mean 2.5), y = 2,4,5,9 (mean 5). Deviations dx = -1.5,-0.5,0.5,1.5; dy = -3,-1,0,4.
        // Sxy = 4.5 + 0.5 + 0 + 6 = 11; Sxx = 2.25 + 0.25 + 0.25 + 2.25 = 5; Syy = 9 + 1 + 0 + 16 = 26.
        // r = 11 / sqrt(5 * 26) = 11 / sqrt(130) = 0.9647638...
        SimilarityCorrelation.Pearson([1, 2, 3, 4], [2, 4, 5, 9]).Should().BeApproximately(11 / Math.Sqrt(130), 1e-12);
        (11 / Math.Sqrt(130)).Should().BeApproximately(0.9647638, 1e-7);
    }

    [Fact]
    public void Pearson_PerfectLinearRelations()
    {
        SimilarityCorrelation.Pearson([1, 2, 3], [10, 30, 50]).Should().BeApproximately(1, 1e-12);
        SimilarityCorrelation.Pearson([1, 2, 3], [5, 3, 1]).Should().BeApproximately(-1, 1e-12);
    }

    [Fact]
    public void Pearson_Validation()
    {
        FluentActions.Invoking(() => SimilarityCorrelation.Pearson([1, 2], [1, 2, 3])).Should().Throw<ArgumentException>().WithMessage("*2 values*3*");
        FluentActions.Invoking(() => SimilarityCorrelation.Pearson([1], [1])).Should().Throw<ArgumentException>().WithMessage("*1 points*at least 2*");
        FluentActions.Invoking(() => SimilarityCorrelation.Pearson([0.1, 0.1, 0.1], [1, 2, 3])).Should().Throw<ArgumentException>().WithMessage("x has zero variance*");
        FluentActions.Invoking(() => SimilarityCorrelation.Pearson([1, 2, 3], [4, 4, 4])).Should().Throw<ArgumentException>().WithMessage("y has zero variance*");
        FluentActions.Invoking(() => SimilarityCorrelation.Pearson([1, double.NaN], [1, 2])).Should().Throw<ArgumentException>().WithMessage("x[1]*NaN*");
        FluentActions.Invoking(() => SimilarityCorrelation.Pearson(null!, [1, 2])).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void DecoderAgainstItself_HasConstantCrossSimilarity_AndThrows()
    {
        var random = new Random(5);
        var decoder = Matrix.Wrap(Enumerable.Range(0, 20 * 6).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray(), 20, 6);
        var copy = Matrix.Wrap(decoder.Span.ToArray(), 20, 6);
        var truth = Matrix.FromArray(new float[,] { { 1, 0, 0, 0, 0, 0 }, { 0, 1, 0, 0, 0, 0 } });
        FluentActions.Invoking(() => SimilarityCorrelation.CrossSaeVersusGroundTruth(decoder, copy, truth))
            .Should().Throw<ArgumentException>().WithMessage("*cross-SAE*zero variance*");
    }

    [Fact]
    public void FeaturesCloseToTheOtherSae_FarFromTheTruth_CorrelateNegatively()
    {
        // Features f0 = e0, f1 = (e0 + e1)/sqrt2, f2 = e1. Truth = {e0}: y = (1, s, 0), s = 1/sqrt2. Other SAE = {e1}: x = (0, s, 1).
        var decoder1 = Matrix.FromArray(new float[,] { { 1, 0, 0 }, { 1, 1, 0 }, { 0, 1, 0 } });
        var truth = Matrix.FromArray(new float[,] { { 1, 0, 0 } });
        var other = Matrix.FromArray(new float[,] { { 0, 1, 0 } });
        var s = Math.Sqrt(0.5);
        var r = SimilarityCorrelation.CrossSaeVersusGroundTruth(decoder1, other, truth);
        r.Should().BeNegative().And.BeApproximately(SimilarityCorrelation.Pearson([0, s, 1], [1, s, 0]), 1e-6);

        // With the other SAE equal to the truth, x = y exactly and r = 1.
        SimilarityCorrelation.CrossSaeVersusGroundTruth(decoder1, truth, truth).Should().BeApproximately(1, 1e-9);

        // An other SAE near the truth ((1, 0.1, 0)) ranks the features like the truth does: positive.
        var near = Matrix.FromArray(new float[,] { { 1, 0.1f, 0 } });
        SimilarityCorrelation.CrossSaeVersusGroundTruth(decoder1, near, truth).Should().BePositive();
    }

    [Fact]
    public void CrossSae_Validation()
    {
        var d = Matrix.FromArray(new float[,] { { 1, 0 }, { 0, 1 } });
        FluentActions.Invoking(() => SimilarityCorrelation.CrossSaeVersusGroundTruth(null!, d, d)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => SimilarityCorrelation.CrossSaeVersusGroundTruth(Matrix.FromArray(new float[,] { { 1, 0 } }), d, d))
            .Should().Throw<ArgumentException>().WithMessage("decoder1 has 1 rows*");
        FluentActions.Invoking(() => SimilarityCorrelation.CrossSaeVersusGroundTruth(d, new Matrix(0, 2), d)).Should().Throw<ArgumentException>().WithMessage("decoder2 is empty*");
        FluentActions.Invoking(() => SimilarityCorrelation.CrossSaeVersusGroundTruth(d, d, new Matrix(0, 2))).Should().Throw<ArgumentException>().WithMessage("groundTruth is empty*");
        FluentActions.Invoking(() => SimilarityCorrelation.CrossSaeVersusGroundTruth(d, new Matrix(2, 3), d)).Should().Throw<ArgumentException>().WithMessage("decoder2 has width 3*");
        FluentActions.Invoking(() => SimilarityCorrelation.CrossSaeVersusGroundTruth(d, d, new Matrix(2, 3))).Should().Throw<ArgumentException>().WithMessage("groundTruth has width 3*");
        var nan = Matrix.FromArray(new float[,] { { 1, float.NaN }, { 0, 1 } });
        FluentActions.Invoking(() => SimilarityCorrelation.CrossSaeVersusGroundTruth(nan, d, d)).Should().Throw<ArgumentException>().WithMessage("*NaN*");
    }
}
