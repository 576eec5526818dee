using SparseDictionary.Regularization;

namespace SparseDictionary.Metrics;

/// <summary>Cosine similarity between two sets of feature directions (rows), e.g. an SAE's decoder and ground-truth features.</summary>
/// <remarks>
/// cos(a, b) = a·b / (||a|| ||b||). The search is the core's <see cref="MaxCosineMatcher"/>: the rows of both sets are
/// normalised once, then compared in chunks of A's rows with the core's matrix product, so two 16384-row sets never
/// need a 16384 x 16384 matrix (memory: chunk x |B| floats). A zero row has cosine 0 with everything.
/// </remarks>
public static class FeatureSimilarity
{
    /// <summary>For each row of <paramref name="a"/>, the largest cosine with any row of <paramref name="b"/> and that row's index.</summary>
    /// <param name="a">Directions as rows (n x d).</param>
    /// <param name="b">Directions as rows (m x d), m at least 1.</param>
    /// <returns>n best matches.</returns>
    /// <exception cref="ArgumentException">The widths differ, B is empty, or an entry is not finite.</exception>
    public static BestMatches MaxCosinePerRow(Matrix a, Matrix b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var cosines = new float[a.Rows];
        var indices = new int[a.Rows];
        MaxCosineMatcher.Instance.Match(a, b, indices, cosines);
        return new BestMatches(cosines, indices);
    }

    /// <summary>Mean max cosine similarity, MMCS(A, B) = (1/n) Σ_i max_j cos(a_i, b_j) (Sharkey et al. 2022; seed 001, section 3.3).</summary>
    /// <param name="a">Directions as rows.</param>
    /// <param name="b">Directions as rows.</param>
    /// <returns>The MMCS in [-1, 1].</returns>
    public static double MeanMaxCosine(Matrix a, Matrix b) => MaxCosinePerRow(a, b).Mean;

    /// <summary>Share of ground-truth directions whose best cosine with any learned direction exceeds <paramref name="threshold"/>.</summary>
    /// <param name="groundTruth">True feature directions as rows.</param>
    /// <param name="learned">Learned directions as rows (e.g. an SAE's decoder).</param>
    /// <param name="threshold">Cosine threshold, e.g. 0.9.</param>
    /// <returns>A share in [0, 1].</returns>
    public static double FeaturesRecovered(Matrix groundTruth, Matrix learned, double threshold) => MaxCosinePerRow(groundTruth, learned).ShareAbove(threshold);
}
