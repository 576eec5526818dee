namespace SparseDictionary.Metrics;

/// <summary>A one-to-one matching of the rows of a direction set A to the rows of a set B that maximises the total cosine.</summary>
/// <param name="Pairs">The matched pairs (row of A, row of B), in increasing order of the row of A; min(|A|, |B|) of them.</param>
/// <param name="Cosines">cos(a_Row, b_Column) of each pair, in the order of <paramref name="Pairs"/>.</param>
/// <remarks>Produced by <see cref="MatchedSimilarity.Match"/>.</remarks>
public sealed record MatchedFeatures(IReadOnlyList<(int Row, int Column)> Pairs, IReadOnlyList<float> Cosines)
{
    /// <summary>Mean of <see cref="Cosines"/> over the pairs: the Hungarian-matched mean max cosine similarity.</summary>
    /// <remarks>(1/k) Σ_(i,j) cos(a_i, b_j) over the k = min(|A|, |B|) matched pairs; 0 when there are no pairs.</remarks>
    public double MeanCosine => Cosines.Count == 0 ? 0 : Cosines.Average(c => (double)c);
}
