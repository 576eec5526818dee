
namespace SparseDictionary.Tests.Support;

/// <summary>
/// One row of a reference forward pass computed in double by a test's own plain loops: the pre-activations, the dense
/// codes, a bound on how far the library's float32 pre-activation of each latent may lie from the reference, and
/// whether that bound makes the active set ambiguous (two candidates at the top-k boundary, or a value at the ReLU
/// threshold, closer than their bounds).
/// </summary>
internal sealed record ReferenceRow(double[] PreActivations, double[] Codes, double[] Tolerance, bool Ambiguous);

/// <summary>Comparisons of the library's codes and outputs with a <see cref="ReferenceRow"/>.</summary>
internal static class ForwardComparison
{
    /// <summary>The unit roundoff of float32, 2^-24.</summary>
    public const double Unit = 1.0 / (1 << 24);

    /// <summary>
    /// Asserts that row <paramref name="row"/> of <paramref name="codes"/> activates exactly the latents the reference
    /// activates (unless the reference row is ambiguous) and that every active value lies within its tolerance.
    /// </summary>
    public static void AssertCodes(SparseCodes codes, int row, ReferenceRow reference)
    {
        var indices = codes.Indices(row).ToArray();
        var values = codes.Values(row).ToArray();
        if (!reference.Ambiguous)
        {
            var expected = Enumerable.Range(0, reference.Codes.Length).Where(j => reference.Codes[j] > 0).ToArray();
            indices.Should().BeEquivalentTo(expected, $"row {row} activates the same latents");
        }

        for (var a = 0; a < indices.Length; a++)
        {
            var j = indices[a];
            ((double)values[a]).Should().BeApproximately(reference.PreActivations[j], reference.Tolerance[j], $"row {row}, latent {j}");
        }
    }

    /// <summary>Asserts |actual[i] - expected[i]| &lt;= tolerance[i] for every i.</summary>
    public static void AssertClose(ReadOnlySpan<float> actual, double[] expected, double[] tolerance, string what)
    {
        actual.Length.Should().Be(expected.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            ((double)actual[i]).Should().BeApproximately(expected[i], tolerance[i], $"{what}, entry {i}");
        }
    }

    /// <summary>
    /// The bound on the float32 error of a sum of <paramref name="terms"/> products whose absolute values sum to
    /// <paramref name="magnitude"/>: gamma_(n) = n u / (1 - n u) of the classic bound, taken 4 times over for the
    /// library's other roundings (blocking order, folded weights rounded to float32, the final float32 result).
    /// </summary>
    public static double SumTolerance(int terms, double magnitude) => 4 * (terms + 4) * Unit * magnitude + 1e-30;
}
