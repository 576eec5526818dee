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
    [MemberData(nameof(Shapes))]
    public void WeightGradients_MatchDenseReference(int rows, int d, int latents, int k)
    {
        var wEnc = TestData.Gaussian(latents * d, 4);
        var wDec = TestData.Gaussian(latents * d, 5);
        var codes = TestData.RandomCodes(rows, latents, k, 6);
        var outputGradient = TestData.GaussianMatrix(rows, d, 7);
        var input = TestData.GaussianMatrix(rows, d, 8);
        var codeGradients = new float[rows * k];
        SparseKernels.CodeGradients(codes, wDec, d, outputGradient, codeGradients);

        var decGrad = new float[latents * d];
        var encGrad = new float[latents * d];
        var encBiasGrad = new float[latents];
        var decBiasGrad = new float[d];
        var firing = new long[latents];
        SparseKernels.AccumulateWeightGradients(codes, codeGradients, outputGradient, input, wEnc, decGrad, encGrad, encBiasGrad, decBiasGrad, firing);

        var expDec = new double[latents * d];
        var expEnc = new double[latents * d];
        var expEncBias = new double[latents];
        var expDecBias = new double[d];
        for (var r = 0; r < rows; r++)
        {
            var indices = codes.Indices(r);
            var values = codes.Values(r);
            for (var j = 0; j < indices.Length; j++)
            {
                var i = indices[j];
                double cg = 0;
                for (var c = 0; c < d; c++)
                {
                    cg += (double)wDec[(i * d) + c] * outputGradient[r, c];
                }

                codeGradients[(r * k) + j].Should().BeApproximately((float)cg, (float)(1e-6 * d));
                for (var c = 0; c < d; c++)
                {
                    expDec[(i * d) + c] += values[j] * (double)outputGradient[r, c];
                    expEnc[(i * d) + c] += codeGradients[(r * k) + j] * (double)input[r, c];
                    expDecBias[c] -= codeGradients[(r * k) + j] * (double)wEnc[(i * d) + c];
                }

                expEncBias[i] += codeGradients[(r * k) + j];
            }
        }

        // Sums of at most rows (resp. rows x k) products of O(1) values.
        var tolerance = 1e-5 * (rows + 1) * (k + 1);
        for (var e = 0; e < latents * d; e++)
        {
            decGrad[e].Should().BeApproximately((float)expDec[e], (float)tolerance);
            encGrad[e].Should().BeApproximately((float)expEnc[e], (float)tolerance);
        }

        for (var i = 0; i < latents; i++)
        {
            encBiasGrad[i].Should().BeApproximately((float)expEncBias[i], (float)tolerance);
            firing[i].Should().Be(Enumerable.Range(0, rows).Count(r => codes.Indices(r).Contains(i)));
        }

        for (var c = 0; c < d; c++)
        {
            decBiasGrad[c].Should().BeApproximately((float)expDecBias[c], (float)(tolerance * d));
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void WeightGradients_AgreeOnEveryKernelPath(KernelPath path)
    {
        var (rows, d, latents, k) = (70, 37, 50, 6);
        var codes = TestData.RandomCodes(rows, latents, k, 21);
        var wEnc = TestData.Gaussian(latents * d, 22);
        var codeGradients = TestData.Gaussian(rows * k, 23);
        var outputGradient = TestData.GaussianMatrix(rows, d, 24);
        var input = TestData.GaussianMatrix(rows, d, 25);
        float[] Run()
        {
            var dec = new float[latents * d];
            var enc = new float[latents * d];
            SparseKernels.AccumulateWeightGradients(codes, codeGradients, outputGradient, input, wEnc, dec, enc, new float[latents], new float[d], default);
            return [.. dec, .. enc];
        }

        var reference = Run();
        using var _ = KernelPaths.Force(path);
        var result = Run();

        // Sums of at most 70 products of O(1) values: fused and unfused rounding differ by far less than 1e-4.
        for (var i = 0; i < reference.Length; i++)
        {
            result[i].Should().BeApproximately(reference[i], 1e-4f);
        }
    }

    [Fact]
    public void WeightGradients_AreBitIdenticalAcrossRuns()
    {
        var (rows, d, latents, k) = (300, 48, 200, 12);
        var codes = TestData.RandomCodes(rows, latents, k, 9);
        var wEnc = TestData.Gaussian(latents * d, 10);
        var codeGradients = TestData.Gaussian(rows * k, 11);
        var outputGradient = TestData.GaussianMatrix(rows, d, 12);
        var input = TestData.GaussianMatrix(rows, d, 13);
        float[] Run()
        {
            var dec = new float[latents * d];
            var enc = new float[latents * d];
            var encBias = new float[latents];
            var decBias = new float[d];
            SparseKernels.AccumulateWeightGradients(codes, codeGradients, outputGradient, input, wEnc, dec, enc, encBias, decBias, default);
            return [.. dec, .. enc, .. encBias, .. decBias];
        }

        var first = Run();
        for (var i = 0; i < 5; i++)
        {
            Run().Should().Equal(first);
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void WeightGradients_EqualPerEntryAccumulationInRowOrder_Exactly(KernelPath path)
    {
        // Reference: every entry in row order does y += a · x on each column, fused (one rounding) on the Avx2Fma path
        // except in the last d mod 8 columns, exactly as a per-entry vector loop with a scalar tail would.
        // Small batches (one row tile), and long batches over few latents (several row tiles; 700 rows at d = 300 is
        // 7 tiles of 100 rows); 4800 rows x about 14 active is over 65,536 entries, where the per-latent sums run in parallel.
        var shapes = TestData.AwkwardLengths.Where(n => n > 0 && (n < 40 || n % 2 == 1)).Append(768)
            .Select(d => (Rows: 23 + (d % 5), Latents: 9 + (d % 7), K: 4, D: d))
            .Concat([(700, 6, 3, 97), (700, 6, 3, 300), (1000, 13, 5, 257), (4800, 41, 16, 24)]);
        foreach (var (rows, latents, k, d) in shapes)
        {
            var codes = TestData.RandomCodes(rows, latents, k, d);
            var preGradients = TestData.Gaussian(rows * k, d + 1);
            var outputGradient = TestData.GaussianMatrix(rows, d, d + 2);
            var input = TestData.GaussianMatrix(rows, d, d + 3);
            var wEnc = TestData.Gaussian(latents * d, d + 4);
            var dec = TestData.Gaussian(latents * d, d + 5, 0.1f);
            var enc = TestData.Gaussian(latents * d, d + 6, 0.1f);
            var (decRef, encRef) = ((float[])dec.Clone(), (float[])enc.Clone());
            var encBias = new float[latents];
            var encBiasRef = new float[latents];
            var decBias = new float[d];
            var decBiasRef = new float[d];
            var fused = path is KernelPath.Avx2Fma or KernelPath.Avx512Fma;
            var vectorEnd = path == KernelPath.Scalar ? 0 : d - (d % 8);
            var sums = new float[latents];
            var fired = new bool[latents];
            for (var r = 0; r < rows; r++)
            {
                for (var j = 0; j < codes.Count(r); j++)
                {
                    var i = codes.Indices(r)[j];
                    var a = codes.Values(r)[j];
                    var p = preGradients[(r * k) + j];
                    for (var c = 0; c < d; c++)
                    {
                        var at = (i * d) + c;
                        decRef[at] = fused && c < vectorEnd ? MathF.FusedMultiplyAdd(a, outputGradient[r, c], decRef[at]) : decRef[at] + (a * outputGradient[r, c]);
                        encRef[at] = fused && c < vectorEnd ? MathF.FusedMultiplyAdd(p, input[r, c], encRef[at]) : encRef[at] + (p * input[r, c]);
                    }

                    sums[i] += p;
                    fired[i] = true;
                }
            }

            for (var i = 0; i < latents; i++)
            {
                if (fired[i])
                {
                    encBiasRef[i] += sums[i];
                    if (sums[i] != 0)
                    {
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(wEnc.AsSpan(i * d, d), -sums[i], decBiasRef, decBiasRef);
                    }
                }
            }

            using var _ = KernelPaths.Force(path);
            SparseKernels.AccumulateWeightGradients(codes, preGradients, outputGradient, input, wEnc, dec, enc, encBias, decBias, default);
            dec.Should().Equal(decRef, $"d = {d}, path {path}");
            enc.Should().Equal(encRef, $"d = {d}, path {path}");
            encBias.Should().Equal(encBiasRef);
            decBias.Should().Equal(decBiasRef);
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void WeightGradients_Overwrite_EqualsAccumulatingIntoZeros_WhateverTheOldContents(KernelPath path)
    {
        // Overwriting must give the bits of clearing and then accumulating: fired latents start from zero (one tile and
        // several), latents without entries become zero, the NaN the rows held is never read; biases are still added to.
        using var _ = KernelPaths.Force(path);
        foreach (var (rows, latents, k, d) in new[] { (40, 30, 3, 37), (700, 6, 3, 97), (50, 200, 4, 64) })
        {
            var codes = TestData.RandomCodes(rows, latents, k, d);
            var preGradients = TestData.Gaussian(rows * k, d + 1);
            var outputGradient = TestData.GaussianMatrix(rows, d, d + 2);
            var input = TestData.GaussianMatrix(rows, d, d + 3);
            var wEnc = TestData.Gaussian(latents * d, d + 4);
            var (dec, enc) = (new float[latents * d], new float[latents * d]);
            var (encBias, decBias) = (TestData.Gaussian(latents, d + 5), TestData.Gaussian(d, d + 6));
            var (encBiasOverwrite, decBiasOverwrite) = ((float[])encBias.Clone(), (float[])decBias.Clone());
            SparseKernels.AccumulateWeightGradients(codes, preGradients, outputGradient, input, wEnc, dec, enc, encBias, decBias, default);

            var decOverwrite = Enumerable.Repeat(float.NaN, latents * d).ToArray();
            var encOverwrite = Enumerable.Repeat(float.NaN, latents * d).ToArray();
            SparseKernels.AccumulateWeightGradients(codes, preGradients, outputGradient, input, wEnc, decOverwrite, encOverwrite, encBiasOverwrite, decBiasOverwrite, default, overwrite: true);

            Bits(decOverwrite).Should().Equal(Bits(dec), $"{rows} x {latents}, d {d}");
            Bits(encOverwrite).Should().Equal(Bits(enc), $"{rows} x {latents}, d {d}");
            Bits(encBiasOverwrite).Should().Equal(Bits(encBias));
            Bits(decBiasOverwrite).Should().Equal(Bits(decBias));
            if (latents == 200)
            {
                decOverwrite.Chunk(d).Should().Contain(row => row.All(v => v == 0), "at most 200 entries over 200 latents leave some latents without any");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void WeightGradients_HandedToACallback_AreTheRowsOfTheArrays_AfterTheBiasGradients(KernelPath path)
    {
        // The fused update's contract: every latent's finished rows are handed over exactly once (from scratch with one
        // row tile, from the arrays with several), bit for bit the rows an overwriting call writes; the bias gradients
        // and firing counts are complete before the first callback, so a callback that overwrites W_enc's row (as the
        // update does) cannot change the decoder-bias gradient.
        using var _ = KernelPaths.Force(path);
        foreach (var (rows, latents, k, d) in new[] { (40, 30, 3, 37), (700, 6, 3, 97), (50, 200, 4, 64), (1024, 32, 8, 64) })
        {
            var codes = TestData.RandomCodes(rows, latents, k, d + 10);
            var preGradients = TestData.Gaussian(rows * k, d + 11);
            var outputGradient = TestData.GaussianMatrix(rows, d, d + 12);
            var input = TestData.GaussianMatrix(rows, d, d + 13);
            var wEnc = TestData.Gaussian(latents * d, d + 14);
            var (dec, enc, encBias, decBias, firing) = (new float[latents * d], new float[latents * d], new float[latents], new float[d], new long[latents]);
            SparseKernels.AccumulateWeightGradients(codes, preGradients, outputGradient, input, (float[])wEnc.Clone(), dec, enc, encBias, decBias, firing, overwrite: true);

            var (handedDec, handedEnc) = (new float[latents * d], new float[latents * d]);
            var calls = new int[latents];
            var (callbackEncBias, callbackDecBias, callbackFiring) = (new float[latents], new float[d], new long[latents]);
            SparseKernels.AccumulateWeightGradients(
                codes, preGradients, outputGradient, input, wEnc, new float[latents * d], new float[latents * d], callbackEncBias, callbackDecBias, callbackFiring, overwrite: true,
                latentCompleted: (i, decoderRow, encoderRow) =>
                {
                    Interlocked.Increment(ref calls[i]);
                    decoderRow.CopyTo(handedDec.AsSpan(i * d, d));
                    encoderRow.CopyTo(handedEnc.AsSpan(i * d, d));
                    wEnc.AsSpan(i * d, d).Fill(float.NaN);
                });

            calls.Should().AllSatisfy(n => n.Should().Be(1), $"{rows} x {latents}, d {d}");
            Bits(handedDec).Should().Equal(Bits(dec), $"{rows} x {latents}, d {d}");
            Bits(handedEnc).Should().Equal(Bits(enc), $"{rows} x {latents}, d {d}");
            Bits(callbackEncBias).Should().Equal(Bits(encBias));
            Bits(callbackDecBias).Should().Equal(Bits(decBias));
            callbackFiring.Should().Equal(firing);
        }
    }

    [Fact]
    public void WeightGradients_RejectACallbackWithoutOverwrite()
    {
        var codes = TestData.RandomCodes(4, 3, 1, 1);
        var act = () => SparseKernels.AccumulateWeightGradients(
            codes, new float[4], new Matrix(4, 2), new Matrix(4, 2), new float[6], new float[6], new float[6], new float[3], new float[2], default,
            overwrite: false, latentCompleted: (_, _, _) => { });
        act.Should().Throw<ArgumentException>().WithParameterName("latentCompleted");
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

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);
}
