using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

/// <summary>
/// The row kernels against plain scalar loops written from their definitions: every path must give exactly the
/// reference's bits (the arithmetic is fixed, only the vector width changes), over awkward lengths that cross every
/// block boundary (128 and 16 columns on the 512-bit path, 64 and 8 on the 256-bit path, 32 and 16 lanes).
/// </summary>
public class SparseRowKernelsTests
{
    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Decode_equals_the_entry_by_entry_scalar_loop_exactly(KernelPath path)
    {
        using var _ = KernelPaths.Force(path);
        foreach (var d in TestData.AwkwardLengths.Append(383).Append(768))
        {
            const int latents = 9;
            var weights = TestData.Gaussian(latents * d, d + 1);
            foreach (var withBias in new[] { true, false })
            {
                var bias = withBias ? TestData.Gaussian(d, d + 2) : [];
                foreach (var count in new[] { 0, 1, 5 })
                {
                    int[] indices = [.. Enumerable.Range(0, count).Select(j => (j * 4) % latents)];
                    float[] values = [.. TestData.Gaussian(count, d + count)];
                    var expected = new float[d];
                    for (var c = 0; c < d; c++)
                    {
                        var acc = withBias ? bias[c] : 0f;
                        for (var j = 0; j < count; j++)
                        {
                            var product = values[j] * weights[(indices[j] * d) + c];
                            acc = product + acc;
                        }

                        expected[c] = acc;
                    }

                    var row = Enumerable.Repeat(float.NaN, d).ToArray();
                    SparseRowKernels.Decode(indices, values, weights, d, bias, row, path);

                    WeightBits.Of(row).Should().Equal(WeightBits.Of(expected), $"d = {d}, bias {withBias}, {count} entries");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Dot_equals_the_interleaved_lane_reference_exactly_and_the_exact_sum_within_its_bound(KernelPath path)
    {
        using var _ = KernelPaths.Force(path);
        foreach (var n in TestData.AwkwardLengths.Append(383).Append(768).Append(1000))
        {
            var x = TestData.Gaussian(n, n + 10);
            var y = TestData.Gaussian(n, n + 11);

            // The definition: column c into partial c mod 32 in column order, then partial l += partial l + half for
            // half = 16, 8, 4, 2, 1.
            var partial = new float[SparseRowKernels.DotLanes];
            for (var c = 0; c < n; c++)
            {
                var product = x[c] * y[c];
                partial[c % partial.Length] = product + partial[c % partial.Length];
            }

            for (var half = partial.Length / 2; half >= 1; half /= 2)
            {
                for (var l = 0; l < half; l++)
                {
                    partial[l] = partial[l] + partial[l + half];
                }
            }

            var dot = SparseRowKernels.Dot(x, y, path);

            BitConverter.SingleToInt32Bits(dot).Should().Be(BitConverter.SingleToInt32Bits(partial[0]), $"n = {n}");

            // Each partial is a recursive sum of at most ceil(n / 32) + 1 rounded terms and the tree adds 5 levels:
            // |error| <= (n / 32 + 7) * 2^-24 * Σ|x y| (a first-order bound, with room for the products' own rounding).
            double exact = 0, magnitude = 0;
            for (var c = 0; c < n; c++)
            {
                exact += (double)x[c] * y[c];
                magnitude += Math.Abs((double)x[c] * y[c]);
            }

            Math.Abs(dot - exact).Should().BeLessThanOrEqualTo((((n / 32.0) + 7) * Math.Pow(2, -24) * magnitude) + 1e-30, $"n = {n}");
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Dots_equal_one_dot_per_entry_exactly_whether_entries_go_in_pairs_or_alone(KernelPath path)
    {
        // Lengths that are multiples of 32 take the paired loop on the vector paths; an odd entry count leaves one alone.
        using var _ = KernelPaths.Force(path);
        foreach (var d in new[] { 1, 31, 32, 64, 96, 100, 256, 768 })
        {
            const int latents = 11;
            var weights = TestData.Gaussian(latents * d, d + 30);
            var gradient = TestData.Gaussian(d, d + 31);
            foreach (var count in new[] { 0, 1, 2, 7 })
            {
                int[] indices = [.. Enumerable.Range(0, count).Select(j => ((j * 5) + 3) % latents)];
                var dots = Enumerable.Repeat(float.NaN, count).ToArray();
                SparseRowKernels.Dots(indices, weights, d, gradient, dots, path);

                var expected = indices.Select(i => SparseRowKernels.Dot(weights.AsSpan(i * d, d), gradient, KernelPath.Scalar)).ToArray();
                WeightBits.Of(dots).Should().Equal(WeightBits.Of(expected), $"d = {d}, {count} entries");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Squared_error_equals_the_interleaved_lane_reference_exactly_with_the_scaled_gradient(KernelPath path)
    {
        using var _ = KernelPaths.Force(path);
        foreach (var n in TestData.AwkwardLengths.Append(383).Append(768))
        {
            var reconstruction = TestData.Gaussian(n, n + 20);
            var target = TestData.Gaussian(n, n + 21);
            const float scale = 0.37f;

            var partial = new double[SparseRowKernels.ErrorLanes];
            var expectedGradient = new float[n];
            for (var c = 0; c < n; c++)
            {
                var diff = reconstruction[c] - target[c];
                expectedGradient[c] = scale * diff;
                partial[c % partial.Length] = ((double)diff * diff) + partial[c % partial.Length];
            }

            for (var half = partial.Length / 2; half >= 1; half /= 2)
            {
                for (var l = 0; l < half; l++)
                {
                    partial[l] = partial[l] + partial[l + half];
                }
            }

            var gradient = Enumerable.Repeat(float.NaN, n).ToArray();
            var error = SparseRowKernels.SquaredErrorWithGradient(reconstruction, target, scale, gradient, path);

            BitConverter.DoubleToInt64Bits(error).Should().Be(BitConverter.DoubleToInt64Bits(partial[0]), $"n = {n}");
            WeightBits.Of(gradient).Should().Equal(WeightBits.Of(expectedGradient), $"n = {n}");

            // The squares are exact in double, so the sum is within n * 2^-53 relative of the exact one.
            double exact = 0;
            for (var c = 0; c < n; c++)
            {
                var diff = (double)(reconstruction[c] - target[c]);
                exact += diff * diff;
            }

            Math.Abs(error - exact).Should().BeLessThanOrEqualTo(n * Math.Pow(2, -52) * exact, $"n = {n}");
        }
    }
}
