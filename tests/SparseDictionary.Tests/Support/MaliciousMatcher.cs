using SparseDictionary.Regularization;

namespace SparseDictionary.Tests.Support;

/// <summary>A user feature matcher that breaks the <see cref="IFeatureMatcher"/> contract: max-cosine partners, except row <paramref name="row"/>'s, which is <paramref name="partner"/>.</summary>
internal sealed class MaliciousMatcher(int row, int partner) : IFeatureMatcher
{
    public string Name => "malicious-matcher";

    public void Match(Matrix first, Matrix second, Span<int> partners, Span<float> cosines)
    {
        MaxCosineMatcher.Instance.Match(first, second, partners, cosines);
        partners[row] = partner;
    }
}
