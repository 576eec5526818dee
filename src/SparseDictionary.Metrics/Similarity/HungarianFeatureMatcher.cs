using SparseDictionary.Regularization;

namespace SparseDictionary.Metrics;

/// <summary>
/// One-to-one matching of decoder directions for Mutual Feature Regularization: the pairing with the largest total
/// cosine (linear assignment, <see cref="MatchedSimilarity.Match"/>), as in the code of seed 001's authors, where the
/// paper's formula takes each row's max instead (<see cref="MaxCosineMatcher"/>).
/// </summary>
/// <remarks>
/// With n rows in the first set and m in the second, min(n, m) rows are matched; when n &gt; m the others get partner
/// -1 and do not count in the penalty. Memory: an n x m cosine matrix (at most <see cref="MatchedSimilarity.MaxEntries"/>
/// entries); time: the O(n³) worst case of the assignment, far below that on cosine matrices of trained SAEs. Use
/// <see cref="MutualFeatureOptions.RefreshInterval"/> to match less often at large n.
/// </remarks>
public sealed class HungarianFeatureMatcher : IFeatureMatcher
{
    /// <inheritdoc />
    public string Name => "hungarian";

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A set is empty, the widths differ, an entry is not finite, the cosine matrix would exceed <see cref="MatchedSimilarity.MaxEntries"/>, or a span has the wrong length.</exception>
    public void Match(Matrix first, Matrix second, Span<int> partners, Span<float> cosines)
    {
        ArgumentNullException.ThrowIfNull(first);
        if (partners.Length != first.Rows || cosines.Length != first.Rows)
        {
            throw new ArgumentException($"partners and cosines hold {partners.Length} and {cosines.Length} entries but the first set has {first.Rows} rows.", nameof(partners));
        }

        var matched = MatchedSimilarity.Match(first, second);
        partners.Fill(-1);
        cosines.Clear();
        for (var p = 0; p < matched.Pairs.Count; p++)
        {
            var (row, column) = matched.Pairs[p];
            partners[row] = column;
            cosines[row] = matched.Cosines[p];
        }
    }
}
