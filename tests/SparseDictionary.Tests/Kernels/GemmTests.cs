using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

/// <summary>Gemm.Multiply against a double reference over awkward shapes and every path; argument checks; thread and path agreement.</summary>
public class GemmTests
{
    private static readonly int[] s_sizes = [0, 1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 64, 65, 127, 257];

    public static TheoryData<KernelPath> Paths => TestData.Paths();

    /// <summary>
    /// The awkward-shape sweep is split into 8 chunks per path so a failure points at a small set of cases and the
    /// chunks run as separate tests.
    /// </summary>
    public static TheoryData<KernelPath, int> PathsAndSeeds()
    {
        var data = new TheoryData<KernelPath, int>();
        foreach (KernelPath path in TestData.SupportedPaths())
        {
            for (int seed = 0; seed < 8; seed++)
            {
                data.Add(path, seed);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndSeeds))]
    public void Multiply_matches_double_reference_on_awkward_shapes(KernelPath path, int seed)
    {
        using var _ = KernelPaths.Force(path);
        (float Alpha, float Beta)[] scales = [(1f, 0f), (0.5f, 2f), (1f, 1f), (-1.5f, 0f)];
        int cases = 0;

        // 8 seeds x 40 cases = 320 distinct (m, n, k) per path, from a fixed walk through the size cube in which
        // every size occurs 20 times in each position and every size meets all four transpose combinations.
        for (int index = seed * 40; index < (seed + 1) * 40; index++)
        {
            int m = s_sizes[index % s_sizes.Length];
            int n = s_sizes[((index / 16) + (5 * index)) % s_sizes.Length];
            int k = s_sizes[((index / 16 * 3) + (7 * index) + (index / 64)) % s_sizes.Length];
            bool transposeA = ((index / 16) & 1) != 0;
            bool transposeB = ((index / 32) & 1) != 0;
            var (alpha, beta) = scales[((index / 16) + index) % scales.Length];
            int pad = index % 3 == 0 ? 0 : (index % 5) + 1;
            CheckAgainstReference(transposeA, transposeB, m, n, k, alpha, beta, pad, seed: index, maxDegreeOfParallelism: index % 2 == 0 ? 1 : -1);
            cases++;
        }

        cases.Should().Be(40);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Multiply_handles_every_transpose_with_edge_sizes_around_the_tile(KernelPath path)
    {
        using var _ = KernelPaths.Force(path);
        int[] around = [1, 5, 6, 7, 15, 16, 17];
        foreach (bool transposeA in new[] { false, true })
        {
            foreach (bool transposeB in new[] { false, true })
            {
                foreach (int m in around)
                {
                    foreach (int n in around)
                    {
                        CheckAgainstReference(transposeA, transposeB, m, n, 9, 1f, 0f, pad: 3, seed: (m * 31) + n, maxDegreeOfParallelism: 1);
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Multiply_large_shapes_exercise_blocking_and_threads(KernelPath path)
    {
        using var _ = KernelPaths.Force(path);

        // k > KcMax (several depth blocks, the first with the caller's beta, the rest accumulating), m over many
        // row blocks, n over a partial micro-panel; both parallel and serial.
        CheckAgainstReference(false, true, 300, 700, 600, 1f, 0f, pad: 0, seed: 1, maxDegreeOfParallelism: -1);
        CheckAgainstReference(true, false, 301, 333, 517, 0.5f, 2f, pad: 5, seed: 2, maxDegreeOfParallelism: -1);
        if (path is KernelPath.Avx2Fma or KernelPath.Avx512Fma)
        {
            // n over several column blocks (NcMaxPanels * NR = 4096 columns).
            CheckAgainstReference(false, true, 40, 4200, 70, 1f, 0f, pad: 1, seed: 3, maxDegreeOfParallelism: -1);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Multiply_with_beta_zero_ignores_nan_in_c(KernelPath path)
    {
        using var _ = KernelPaths.Force(path);
        foreach (int k in new[] { 0, 1, 300 })
        {
            const int m = 13, n = 37;
            float[] a = GemmTestData.RandomMatrix(m * k, 5);
            float[] b = GemmTestData.RandomMatrix(k * n, 6);
            float[] c = new float[m * n];
            Array.Fill(c, float.NaN);

            Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);

            c.Should().OnlyContain(x => float.IsFinite(x), $"beta = 0 must not read C (k = {k})");
        }
    }

    [Fact]
    public void Multiply_with_zero_alpha_or_depth_scales_c()
    {
        float[] c = [1f, 2f, float.NaN, 4f];
        Gemm.Multiply(false, false, 2, 2, 0, 1f, [], 0, [], 2, 3f, c, 2);
        c[0].Should().Be(3f);
        c[3].Should().Be(12f);
        float.IsNaN(c[2]).Should().BeTrue();

        float[] a = [float.NaN, 1f, 1f, 1f];
        Gemm.Multiply(false, false, 2, 2, 2, 0f, a, 2, a, 2, 0f, c, 2);
        c.Should().Equal(0f, 0f, 0f, 0f);
    }

    [Fact]
    public void Multiply_with_empty_dimensions_does_nothing()
    {
        float[] c = [7f, 7f];
        Gemm.Multiply(false, false, 0, 2, 3, 1f, [], 3, new float[6], 2, 0f, [], 2);
        Gemm.Multiply(false, false, 1, 0, 3, 1f, new float[3], 3, [], 0, 0f, c, 0);
        c.Should().Equal(7f, 7f);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Multiply_is_bit_identical_for_any_thread_count(KernelPath path)
    {
        using var _ = KernelPaths.Force(path);
        int m = path is KernelPath.Avx2Fma or KernelPath.Avx512Fma ? 517 : 203, n = 611, k = 300;
        float[] a = GemmTestData.RandomMatrix(m * k, 10);
        float[] b = GemmTestData.RandomMatrix(n * k, 11);
        float[] c0 = GemmTestData.RandomMatrix(m * n, 12);
        float[] serial = (float[])c0.Clone();
        float[] parallel = (float[])c0.Clone();
        float[] two = (float[])c0.Clone();

        Gemm.Multiply(false, true, m, n, k, 0.75f, a, k, b, k, 0.5f, serial, n, maxDegreeOfParallelism: 1);
        Gemm.Multiply(false, true, m, n, k, 0.75f, a, k, b, k, 0.5f, parallel, n, maxDegreeOfParallelism: -1);
        Gemm.Multiply(false, true, m, n, k, 0.75f, a, k, b, k, 0.5f, two, n, maxDegreeOfParallelism: 2);

        WeightBits.Of(parallel).Should().Equal(WeightBits.Of(serial));
        WeightBits.Of(two).Should().Equal(WeightBits.Of(serial));
    }

    [Fact]
    public void Multiply_rejects_a_too_small_span_naming_it()
    {
        Action act = () => Gemm.Multiply(false, false, 3, 4, 5, 1f, new float[14], 5, new float[20], 4, 0f, new float[12], 4);

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "a" && e.Message.Contains("14", StringComparison.Ordinal));
    }

    [Fact]
    public void Multiply_rejects_a_too_small_output_naming_it()
    {
        Action act = () => Gemm.Multiply(false, false, 3, 4, 5, 1f, new float[15], 5, new float[20], 4, 0f, new float[11], 4);

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "c");
    }

    [Fact]
    public void Multiply_rejects_a_bad_stride_naming_it_and_its_value()
    {
        Action act = () => Gemm.Multiply(false, false, 3, 4, 7, 1f, new float[100], 5, new float[100], 4, 0f, new float[12], 4);

        act.Should().Throw<ArgumentOutOfRangeException>()
            .Where(e => e.ParamName == "lda" && e.Message.Contains("lda (5) must be at least k (7) when transposeA is false", StringComparison.Ordinal));

        Action transposed = () => Gemm.Multiply(false, true, 3, 4, 7, 1f, new float[100], 7, new float[100], 6, 0f, new float[12], 4);

        transposed.Should().Throw<ArgumentOutOfRangeException>()
            .Where(e => e.ParamName == "ldb" && e.Message.Contains("ldb (6) must be at least k (7) when transposeB is true", StringComparison.Ordinal));

        Action output = () => Gemm.Multiply(false, false, 3, 4, 7, 1f, new float[100], 7, new float[100], 4, 0f, new float[12], 3);

        output.Should().Throw<ArgumentOutOfRangeException>().Where(e => e.ParamName == "ldc");
    }

    [Fact]
    public void Multiply_rejects_negative_dimensions_and_bad_parallelism()
    {
        Action negativeM = () => Gemm.Multiply(false, false, -1, 4, 7, 1f, [], 7, new float[28], 4, 0f, [], 4);
        Action negativeK = () => Gemm.PackRight(false, -2, 4, [], 4);
        Action zeroThreads = () => Gemm.Multiply(false, false, 1, 1, 1, 1f, [1f], 1, [1f], 1, 0f, new float[1], 1, maxDegreeOfParallelism: 0);

        negativeM.Should().Throw<ArgumentOutOfRangeException>().Where(e => e.ParamName == "m" && e.Message.Contains("-1", StringComparison.Ordinal));
        negativeK.Should().Throw<ArgumentOutOfRangeException>().Where(e => e.ParamName == "k");
        zeroThreads.Should().Throw<ArgumentOutOfRangeException>().Where(e => e.ParamName == "maxDegreeOfParallelism");
    }

    [Fact]
    public void Multiply_tolerates_concurrent_callers()
    {
        const int m = 150, n = 260, k = 270;
        float[] a = GemmTestData.RandomMatrix(m * k, 40);
        float[] b = GemmTestData.RandomMatrix(k * n, 41);
        float[] expected = new float[m * n];
        Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, expected, n, maxDegreeOfParallelism: 1);

        float[][] results = new float[6][];
        Parallel.For(0, results.Length, i =>
        {
            results[i] = new float[m * n];
            Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, results[i], n);
        });

        foreach (float[] r in results)
        {
            WeightBits.Of(r).Should().Equal(WeightBits.Of(expected));
        }
    }

    [Fact]
    public void Scalar_and_vector256_paths_agree_bit_for_bit()
    {
        // Both round the product and the sum separately, in the same order per element.
        const int m = 41, n = 53, k = 300;
        float[] a = GemmTestData.RandomMatrix(m * k, 50);
        float[] b = GemmTestData.RandomMatrix(k * n, 51);
        float[] scalar = GemmTestData.RandomMatrix(m * n, 52);
        float[] vector = (float[])scalar.Clone();
        using (KernelPaths.Force(KernelPath.Scalar))
        {
            Gemm.Multiply(false, false, m, n, k, 0.5f, a, k, b, n, 2f, scalar, n);
        }

        using (KernelPaths.Force(KernelPath.Vector256))
        {
            Gemm.Multiply(false, false, m, n, k, 0.5f, a, k, b, n, 2f, vector, n);
        }

        WeightBits.Of(vector).Should().Equal(WeightBits.Of(scalar));
    }

    [KernelPathFact(KernelPath.Avx512Fma)]
    public void Avx512_and_avx2_paths_agree_bit_for_bit()
    {
        // Both run acc = fma(a, b, acc) in increasing depth order and then fma(alpha, acc, beta * c) per element; the
        // AVX-512 path only does it 16 lanes at a time in 12 x 32 blocks, with the rest on the AVX2 tile. The shapes
        // mix full blocks with odd micro-panels and partial tiles in both directions, several depth blocks (k > 256)
        // and several column blocks (n > 4096), with beta 0 (C never read) and beta != 0, serial and parallel.
        (int M, int N, int K, bool TransposeA, bool TransposeB, float Beta, int Threads)[] cases =
        [
            (12, 32, 1, false, true, 0f, 1),
            (11, 31, 7, false, false, 0f, 1),
            (13, 33, 256, true, true, 0.5f, 1),
            (24, 64, 257, false, true, 2f, -1),
            (30, 48, 300, true, false, 0f, -1),
            (517, 611, 300, false, true, 0.5f, -1),
            (1000, 96, 40, false, false, 1f, 2),
            (40, 4200, 70, false, true, 0f, -1),
        ];
        foreach (var (m, n, k, transposeA, transposeB, beta, threads) in cases)
        {
            float[] a = GemmTestData.RandomMatrix(m * k, m + k);
            float[] b = GemmTestData.RandomMatrix(k * n, n + k);
            float[] avx2 = GemmTestData.RandomMatrix(m * n, m + n);
            float[] avx512 = (float[])avx2.Clone();
            using (KernelPaths.Force(KernelPath.Avx2Fma))
            {
                Gemm.Multiply(transposeA, transposeB, m, n, k, 0.75f, a, transposeA ? m : k, b, transposeB ? k : n, beta, avx2, n, threads);
            }

            using (KernelPaths.Force(KernelPath.Avx512Fma))
            {
                Gemm.Multiply(transposeA, transposeB, m, n, k, 0.75f, a, transposeA ? m : k, b, transposeB ? k : n, beta, avx512, n, threads);
            }

            WeightBits.Of(avx512).Should().Equal(WeightBits.Of(avx2), $"{m} x {n} x {k}, tA {transposeA}, tB {transposeB}, beta {beta}, threads {threads}");
        }
    }

    /// <summary>
    /// Runs one multiplication and checks every element of C against a double-precision reference.
    /// Error bound: each element is a float sum of k products, accumulated in blocks and combined with alpha and
    /// beta; the standard bound for a recursive float dot product is gamma_k = k * eps / (1 - k * eps) times
    /// sum_l |a_il| |b_lj| (plus a few roundings for the alpha/beta combination), with eps = 2^-24 the unit
    /// roundoff. We allow |err| &lt;= (k + 4) * 2^-23 * (|alpha| * sum_l |a_il b_lj| + |beta c_ij|) plus a tiny
    /// absolute floor, which covers that bound with a factor of 2 to spare and no blanket constant.
    /// </summary>
    private static void CheckAgainstReference(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha, float beta, int pad, int seed, int maxDegreeOfParallelism)
    {
        int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
        int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        float[] a = GemmTestData.RandomMatrix(Math.Max(0, (aRows * lda) - pad), seed * 3);
        float[] b = GemmTestData.RandomMatrix(Math.Max(0, (bRows * ldb) - pad), (seed * 3) + 1);
        float[] c = beta == 0f ? GemmTestData.Filled(Math.Max(0, (m * ldc) - pad), float.NaN) : GemmTestData.RandomMatrix(Math.Max(0, (m * ldc) - pad), (seed * 3) + 2);
        float[] original = (float[])c.Clone();

        Gemm.Multiply(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, maxDegreeOfParallelism);

        const double eps = 1.0 / (1 << 23);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (int l = 0; l < k; l++)
                {
                    double product = (double)(transposeA ? a[(l * lda) + i] : a[(i * lda) + l]) * (transposeB ? b[(j * ldb) + l] : b[(l * ldb) + j]);
                    sum += product;
                    magnitude += Math.Abs(product);
                }

                double old = beta == 0f ? 0 : original[(i * ldc) + j];
                double expected = (alpha * sum) + (beta * old);
                double bound = ((k + 4) * eps * ((Math.Abs(alpha) * magnitude) + Math.Abs(beta * old))) + 1e-30;
                double actual = c[(i * ldc) + j];
                if (!(Math.Abs(actual - expected) <= bound))
                {
                    Assert.Fail($"C[{i},{j}] = {actual}, expected {expected} +- {bound} (m={m} n={n} k={k} tA={transposeA} tB={transposeB} alpha={alpha} beta={beta} pad={pad} path={KernelPaths.Current})");
                }
            }

            // The padding between rows of C must be untouched.
            for (int j = n; j < ldc && (i * ldc) + j < c.Length; j++)
            {
                BitConverter.SingleToInt32Bits(c[(i * ldc) + j]).Should().Be(BitConverter.SingleToInt32Bits(original[(i * ldc) + j]));
            }
        }
    }
}
