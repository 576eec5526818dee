using SparseDictionary.Kernels;
using SparseDictionary.Metrics.Assignment;

namespace SparseDictionary.Metrics;

/// <summary>One-to-one (Hungarian) matching of two sets of feature directions by cosine similarity.</summary>
/// <remarks>
/// <para>
/// Unlike <see cref="FeatureSimilarity.MaxCosinePerRow"/>, where several rows of A may pick the same row of B, here
/// each row of B is used at most once: the k = min(n, m) pairs (i, j) maximise Σ cos(a_i, b_j), with
/// cos(a, b) = a·b / (||a|| ||b||) (a zero row has cosine 0 with everything). This is how the code accompanying the
/// MFR paper matches the features of two dictionaries (linear assignment on the cosine matrix, maximised).
/// </para>
/// <para>
/// The full n x m cosine matrix is built (rows normalised once, then one matrix product) and handed to
/// <see cref="LinearAssignment.Solve(ReadOnlySpan{float}, int, int, bool)"/> (Jonker-Volgenant). Memory is
/// n x m floats (4 n m bytes, e.g. 64 MB for 4096 x 4096) and time is O(k^2 max(n, m)), so it is meant for sets of up
/// to a few thousand rows each; more than <see cref="MaxEntries"/> entries are refused.
/// </para>
/// </remarks>
public static class MatchedSimilarity
{
    /// <summary>Largest cosine matrix (n x m entries, 64 Mi = 256 MB of floats) that <see cref="Match"/> will build.</summary>
    public const long MaxEntries = 64L * 1024 * 1024;

    /// <summary>The one-to-one matching of rows of <paramref name="a"/> to rows of <paramref name="b"/> with the largest total cosine.</summary>
    /// <param name="a">Directions as rows (n x d), n at least 1.</param>
    /// <param name="b">Directions as rows (m x d), m at least 1.</param>
    /// <returns>min(n, m) pairs in increasing row order, with their cosines.</returns>
    /// <remarks>
    /// Maximises Σ_(i,j) cos(a_i, b_j) over one-to-one matchings of size min(n, m) (linear assignment, Jonker and
    /// Volgenant 1987). When n &gt; m some rows of A stay unmatched; when n &lt; m some rows of B do.
    /// Memory: n x m floats.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="a"/> or <paramref name="b"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// A set is empty, the widths differ, an entry is not finite, or n x m exceeds <see cref="MaxEntries"/>.
    /// </exception>
    public static MatchedFeatures Match(Matrix a, Matrix b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rows == 0)
        {
            throw new ArgumentException("The first direction set is empty; there is nothing to match.", nameof(a));
        }

        if (b.Rows == 0)
        {
            throw new ArgumentException("The second direction set is empty; there is nothing to match.", nameof(b));
        }

        if (a.Columns != b.Columns)
        {
            throw new ArgumentException($"The direction sets have different widths: {a.Columns} and {b.Columns}.", nameof(b));
        }

        var entries = (long)a.Rows * b.Rows;
        if (entries > MaxEntries)
        {
            throw new ArgumentException(
                $"Matching {a.Rows} x {b.Rows} rows needs a {entries}-entry cosine matrix, more than the limit of {MaxEntries} " +
                "(4 bytes each); use FeatureSimilarity.MaxCosinePerRow for sets this large.",
                nameof(b));
        }

        var cosines = CosineMatrix(a, b);
        var assignment = LinearAssignment.Solve(cosines, a.Rows, b.Rows, maximize: true);
        var pairs = assignment.Pairs.ToArray();
        var pairCosines = new float[pairs.Length];
        for (var p = 0; p < pairs.Length; p++)
        {
            pairCosines[p] = cosines[(pairs[p].Row * b.Rows) + pairs[p].Column];
        }

        return new MatchedFeatures(pairs, pairCosines);
    }

    /// <summary>Hungarian-matched mean cosine: the mean cosine over the pairs of <see cref="Match"/>.</summary>
    /// <param name="a">Directions as rows.</param>
    /// <param name="b">Directions as rows.</param>
    /// <returns>(1/k) Σ cos over the k = min(n, m) optimally matched pairs, in [-1, 1]; never above the MMCS of the smaller set.</returns>
    /// <remarks>Same validation and memory cost as <see cref="Match"/>.</remarks>
    public static double MatchedMeanCosine(Matrix a, Matrix b) => Match(a, b).MeanCosine;

    private static float[] CosineMatrix(Matrix a, Matrix b)
    {
        var d = a.Columns;
        var an = MatrixValidation.NormalizedRows(a, nameof(a));
        var bn = MatrixValidation.NormalizedRows(b, nameof(b));
        var result = new float[a.Rows * b.Rows];
        RowOperations.DotProducts(an, a.Rows, bn, b.Rows, d, result);
        return result;
    }
}
