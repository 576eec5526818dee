using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

public class SparseKernelsTests
{
    public static TheoryData<int, int, int, int> Shapes => new()
    {
        { 1, 1, 1, 1 },
        { 1, 7, 3, 2 },
        { 17, 31, 7, 5 },
        { 33, 257, 64, 8 },
        { 64, 17, 129, 17 },
        { 100, 65, 40, 0 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Decode_MatchesDenseReference(int rows, int d, int latents, int k)
    {
        var w = TestData.Gaussian(latents * d, 1);
        var bias = TestData.Gaussian(d, 2);
        var codes = TestData.RandomCodes(rows, latents, k, 3);
        var output = new Matrix(rows, d);
        SparseKernels.Decode(codes, w, d, bias, output);

        var dense = codes.ToDense();
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < d; c++)
            {
                double expected = bias[c];
                double magnitude = Math.Abs(bias[c]);
                for (var i = 0; i < latents; i++)
                {
                    expected += (double)dense[r, i] * w[(i * d) + c];
                    magnitude += Math.Abs((double)dense[r, i] * w[(i * d) + c]);
                }

                // k float multiply-adds: error at most about k ulps of the summed magnitudes.
                output[r, c].Should().BeApproximately((float)expected, (float)(((k + 1) * 1.2e-7 * magnitude) + 1e-7));
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void DecodeWithLossAndCodeGradients_IsBitIdenticalToTheSeparatePasses(KernelPath path)
    {
        using var _ = KernelPaths.Force(path);
        foreach (var d in TestData.AwkwardLengths.Where(n => n > 0 && (n < 20 || n % 2 == 1)).Append(768))
        {
            var (rows, latents, k) = (40 + (d % 7), 30, 5);
            var codes = TestData.RandomCodes(rows, latents, k, d + 50);
            var weights = TestData.Gaussian(latents * d, d + 51);
            var bias = d % 3 == 0 ? Array.Empty<float>() : TestData.Gaussian(d, d + 52);
            var target = TestData.GaussianMatrix(rows, d, d + 53);
            var scale = 2f / rows;

            var expectedReconstruction = new Matrix(rows, d);
            var expectedGradient = new Matrix(rows, d);
            var expectedErrors = new double[rows];
            var expectedCodeGradients = new float[rows * k];
            SparseKernels.Decode(codes, weights, d, bias, expectedReconstruction);
            for (var r = 0; r < rows; r++)
            {
                expectedErrors[r] = SparseRowKernels.SquaredErrorWithGradient(expectedReconstruction.Row(r), target.Row(r), scale, expectedGradient.Row(r), path);
            }

            SparseKernels.CodeGradients(codes, weights, d, expectedGradient, expectedCodeGradients);

            var reconstruction = new Matrix(rows, d);
            var gradient = new Matrix(rows, d);
            var errors = new double[rows];
            var codeGradients = new float[rows * k];
            SparseKernels.DecodeWithLossAndCodeGradients(codes, weights, d, bias, target, scale, reconstruction, gradient, errors, codeGradients);
            reconstruction.Span.ToArray().Should().Equal(expectedReconstruction.Span.ToArray(), $"d = {d}");
            gradient.Span.ToArray().Should().Equal(expectedGradient.Span.ToArray(), $"d = {d}");
            errors.Should().Equal(expectedErrors, $"d = {d}");
            codeGradients.Should().Equal(expectedCodeGradients, $"d = {d}");
        }
    }
}
