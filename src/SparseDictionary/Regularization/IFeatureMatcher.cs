
namespace SparseDictionary.Regularization;

/// <summary>
/// Pairs the feature directions of one SAE with those of another, the matching step of Mutual Feature Regularization
/// (<see cref="MutualFeatureRegularizer"/>).
/// </summary>
/// <remarks>
/// The core provides <see cref="MaxCosineMatcher"/> (each row's most similar row, as seed 001's formula states); the
/// Metrics package provides the one-to-one Hungarian matching of the authors' code. Matchers compare rows by cosine
/// similarity and must be deterministic.
/// </remarks>
public interface IFeatureMatcher
{
    /// <summary>A short name for reports, e.g. <c>max-cosine</c>.</summary>
    string Name { get; }

    /// <summary>
    /// For each row a of <paramref name="first"/>, writes the index of its partner row in <paramref name="second"/>
    /// (or -1 when it has none, e.g. a one-to-one matching of more rows than <paramref name="second"/> holds) and the
    /// cosine similarity of the pair (0 when it has none).
    /// </summary>
    /// <param name="first">Directions as rows (n x d).</param>
    /// <param name="second">Directions as rows (m x d), m at least 1.</param>
    /// <param name="partners">n entries; overwritten. Each must be -1 or a row of <paramref name="second"/> (in [0, m)): <see cref="MutualFeatureRegularizer"/> checks them and throws <see cref="InvalidOperationException"/> naming the matcher, the row and the value otherwise.</param>
    /// <param name="cosines">n entries; overwritten.</param>
    void Match(Matrix first, Matrix second, Span<int> partners, Span<float> cosines);
}
