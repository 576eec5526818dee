namespace SparseDictionary.Metrics;

/// <summary>For each row of a direction set A, its most similar row of a set B.</summary>
/// <param name="Cosines">cos(a_i, b_best(i)), the largest cosine of row i of A with any row of B.</param>
/// <param name="Indices">best(i), the row of B reaching it (the lowest index on ties).</param>
public sealed record BestMatches(IReadOnlyList<float> Cosines, IReadOnlyList<int> Indices)
{
    /// <summary>Mean of <see cref="Cosines"/>: the mean max cosine similarity (MMCS) of A against B.</summary>
    public double Mean => Cosines.Count == 0 ? 0 : Cosines.Average(c => (double)c);

    /// <summary>Share of rows of A whose best cosine exceeds <paramref name="threshold"/>.</summary>
    /// <param name="threshold">The cosine threshold, e.g. 0.9.</param>
    /// <returns>A value in [0, 1].</returns>
    public double ShareAbove(double threshold) => Cosines.Count == 0 ? 0 : Cosines.Count(c => c > threshold) / (double)Cosines.Count;
}
