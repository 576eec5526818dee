using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

public class SparseWeightGradientsTests
{
    [Theory]
    [MemberData(nameof(SparseKernelsTests.Shapes), MemberType = typeof(SparseKernelsTests))]
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
        SparseWeightGradients.Accumulate(new(codes, codeGradients, outputGradient, input, wEnc), new(decGrad, encGrad, encBiasGrad, decBiasGrad), firing);

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
        var batch = RandomBatch(rows, d, latents, k, 21);
        float[] Run()
        {
            var dec = new float[latents * d];
            var enc = new float[latents * d];
            SparseWeightGradients.Accumulate(batch, new(dec, enc, new float[latents], new float[d]), default);
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
        var batch = RandomBatch(rows, d, latents, k, 9);
        float[] Run()
        {
            var dec = new float[latents * d];
            var enc = new float[latents * d];
            var encBias = new float[latents];
            var decBias = new float[d];
            SparseWeightGradients.Accumulate(batch, new(dec, enc, encBias, decBias), default);
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
            SparseWeightGradients.Accumulate(new(codes, preGradients, outputGradient, input, wEnc), new(dec, enc, encBias, decBias), default);
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
            SparseWeightGradients.Accumulate(new(codes, preGradients, outputGradient, input, wEnc), new(dec, enc, encBias, decBias), default);

            var decOverwrite = Enumerable.Repeat(float.NaN, latents * d).ToArray();
            var encOverwrite = Enumerable.Repeat(float.NaN, latents * d).ToArray();
            SparseWeightGradients.Accumulate(
                new(codes, preGradients, outputGradient, input, wEnc), new(decOverwrite, encOverwrite, encBiasOverwrite, decBiasOverwrite), default, overwrite: true);

            WeightBits.Of(decOverwrite).Should().Equal(WeightBits.Of(dec), $"{rows} x {latents}, d {d}");
            WeightBits.Of(encOverwrite).Should().Equal(WeightBits.Of(enc), $"{rows} x {latents}, d {d}");
            WeightBits.Of(encBiasOverwrite).Should().Equal(WeightBits.Of(encBias));
            WeightBits.Of(decBiasOverwrite).Should().Equal(WeightBits.Of(decBias));
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
        // row tile, from the arrays with several), bit for bit the rows an overwriting call writes, whatever the arrays
        // held (NaN here: the rows hold this batch's gradient only); the bias gradients and firing counts are complete
        // before the first callback, so a callback that overwrites W_enc's row (as the update does) cannot change the
        // decoder-bias gradient.
        using var _ = KernelPaths.Force(path);
        foreach (var (rows, latents, k, d) in new[] { (40, 30, 3, 37), (700, 6, 3, 97), (50, 200, 4, 64), (1024, 32, 8, 64) })
        {
            var codes = TestData.RandomCodes(rows, latents, k, d + 10);
            var preGradients = TestData.Gaussian(rows * k, d + 11);
            var outputGradient = TestData.GaussianMatrix(rows, d, d + 12);
            var input = TestData.GaussianMatrix(rows, d, d + 13);
            var wEnc = TestData.Gaussian(latents * d, d + 14);
            var (dec, enc, encBias, decBias, firing) = (new float[latents * d], new float[latents * d], new float[latents], new float[d], new long[latents]);
            SparseWeightGradients.Accumulate(
                new(codes, preGradients, outputGradient, input, (float[])wEnc.Clone()), new(dec, enc, encBias, decBias), firing, overwrite: true);

            var (handedDec, handedEnc) = (new float[latents * d], new float[latents * d]);
            var calls = new int[latents];
            var (callbackEncBias, callbackDecBias, callbackFiring) = (new float[latents], new float[d], new long[latents]);
            var nan = Enumerable.Repeat(float.NaN, latents * d);
            SparseWeightGradients.ForEachLatent(
                new(codes, preGradients, outputGradient, input, wEnc), new(nan.ToArray(), nan.ToArray(), callbackEncBias, callbackDecBias), callbackFiring,
                latentCompleted: (i, decoderRow, encoderRow) =>
                {
                    Interlocked.Increment(ref calls[i]);
                    decoderRow.CopyTo(handedDec.AsSpan(i * d, d));
                    encoderRow.CopyTo(handedEnc.AsSpan(i * d, d));
                    wEnc.AsSpan(i * d, d).Fill(float.NaN);
                });

            calls.Should().AllSatisfy(n => n.Should().Be(1), $"{rows} x {latents}, d {d}");
            WeightBits.Of(handedDec).Should().Equal(WeightBits.Of(dec), $"{rows} x {latents}, d {d}");
            WeightBits.Of(handedEnc).Should().Equal(WeightBits.Of(enc), $"{rows} x {latents}, d {d}");
            WeightBits.Of(callbackEncBias).Should().Equal(WeightBits.Of(encBias));
            WeightBits.Of(callbackDecBias).Should().Equal(WeightBits.Of(decBias));
            callbackFiring.Should().Equal(firing);
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void BothEntryPoints_MatchAPlainDoubleLoop_OverAwkwardSizes(KernelPath path)
    {
        // Accumulate (adding and overwriting) and ForEachLatent against a double-precision loop over the entries, with
        // row lengths around the vector widths (the 512-bit, 256-bit and scalar columns), one row tile and several
        // (700 rows at d = 97 and 300), and latents without entries.
        using var _ = KernelPaths.Force(path);
        var shapes = TestData.AwkwardLengths.Where(n => n > 0).Select(d => (Rows: 11 + (d % 9), Latents: 5 + (d % 11), K: 3, D: d))
            .Concat([(700, 6, 3, 97), (700, 5, 2, 300), (40, 200, 2, 65)]);
        foreach (var (rows, latents, k, d) in shapes)
        {
            var codes = TestData.RandomCodes(rows, latents, k, d + 30);
            var preGradients = TestData.Gaussian(rows * k, d + 31);
            var outputGradient = TestData.GaussianMatrix(rows, d, d + 32);
            var input = TestData.GaussianMatrix(rows, d, d + 33);
            var wEnc = TestData.Gaussian(latents * d, d + 34);
            var start = TestData.Gaussian(latents * d, d + 35);
            var (expDec, expEnc, expDecBias) = (new double[latents * d], new double[latents * d], new double[d]);
            for (var r = 0; r < rows; r++)
            {
                for (var j = 0; j < codes.Count(r); j++)
                {
                    var (i, a, p) = (codes.Indices(r)[j], (double)codes.Values(r)[j], (double)preGradients[(r * k) + j]);
                    for (var c = 0; c < d; c++)
                    {
                        expDec[(i * d) + c] += a * outputGradient[r, c];
                        expEnc[(i * d) + c] += p * input[r, c];
                        expDecBias[c] -= p * wEnc[(i * d) + c];
                    }
                }
            }

            // Sums of at most rows products of O(1) values, each rounded once or twice in float.
            var tolerance = (float)(2e-6 * (rows + 1));
            var because = $"{rows} x {latents}, d {d}, path {path}";
            var (added, overwritten) = ((float[])start.Clone(), (float[])start.Clone());
            var (addedEnc, overwrittenEnc) = ((float[])start.Clone(), (float[])start.Clone());
            var decBias = new float[d];
            SparseWeightGradients.Accumulate(new(codes, preGradients, outputGradient, input, wEnc), new(added, addedEnc, new float[latents], decBias), default);
            SparseWeightGradients.Accumulate(
                new(codes, preGradients, outputGradient, input, wEnc), new(overwritten, overwrittenEnc, new float[latents], new float[d]), default, overwrite: true);
            var (handedDec, handedEnc) = (new float[latents * d], new float[latents * d]);
            SparseWeightGradients.ForEachLatent(
                new(codes, preGradients, outputGradient, input, wEnc), new(new float[latents * d], new float[latents * d], new float[latents], new float[d]), default,
                (i, decoderRow, encoderRow) =>
                {
                    decoderRow.CopyTo(handedDec.AsSpan(i * d, d));
                    encoderRow.CopyTo(handedEnc.AsSpan(i * d, d));
                });
            for (var e = 0; e < latents * d; e++)
            {
                added[e].Should().BeApproximately((float)(start[e] + expDec[e]), tolerance, because);
                addedEnc[e].Should().BeApproximately((float)(start[e] + expEnc[e]), tolerance, because);
                overwritten[e].Should().BeApproximately((float)expDec[e], tolerance, because);
                overwrittenEnc[e].Should().BeApproximately((float)expEnc[e], tolerance, because);
                handedDec[e].Should().BeApproximately((float)expDec[e], tolerance, because);
                handedEnc[e].Should().BeApproximately((float)expEnc[e], tolerance, because);
            }

            for (var c = 0; c < d; c++)
            {
                decBias[c].Should().BeApproximately((float)expDecBias[c], tolerance * latents, because);
            }
        }
    }

    [Fact]
    public void ForEachLatent_RejectsANullCallback()
    {
        var codes = TestData.RandomCodes(4, 3, 1, 1);
        var act = () => SparseWeightGradients.ForEachLatent(
            new(codes, new float[4], new Matrix(4, 2), new Matrix(4, 2), new float[6]), new(new float[6], new float[6], new float[3], new float[2]), default, null!);
        act.Should().Throw<ArgumentNullException>().WithParameterName("latentCompleted");
    }

    /// <summary>A random batch: codes (seed <paramref name="seed"/>), W_enc (+ 1), pre-activation gradients (+ 2), output gradient (+ 3), encoder input (+ 4).</summary>
    private static WeightGradientInputs RandomBatch(int rows, int d, int latents, int k, int seed) => new(
        TestData.RandomCodes(rows, latents, k, seed),
        TestData.Gaussian(rows * k, seed + 2),
        TestData.GaussianMatrix(rows, d, seed + 3),
        TestData.GaussianMatrix(rows, d, seed + 4),
        TestData.Gaussian(latents * d, seed + 1));
}
