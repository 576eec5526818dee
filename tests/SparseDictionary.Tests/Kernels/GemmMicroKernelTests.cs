using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

/// <summary>The 6 x 16 micro-kernel's two copies, each against a plain scalar loop of its own rounding, bit for bit.</summary>
public unsafe class GemmMicroKernelTests
{
    private const int Ldc = Gemm.NR + 5;

    public static TheoryData<int, float, float> DepthsAndScales => new()
    {
        { 1, 1f, 0f }, { 7, 0.5f, 2f }, { 64, -1.5f, 0f }, { 257, 1f, 1f },
    };

    [Theory]
    [MemberData(nameof(DepthsAndScales))]
    public void MultiplyThenAddCopy_IsBitIdenticalToTheScalarMicroKernel(int kc, float alpha, float beta)
    {
        var (a, b, c) = Operands(kc, kc);
        var expected = (float[])c.Clone();
        Run<ScalarMicroKernel>(kc, a, b, expected, alpha, beta);
        Run<MicroKernel6x16<MultiplyThenAdd>>(kc, a, b, c, alpha, beta);
        WeightBits.Of(c).Should().Equal(WeightBits.Of(expected));
    }

    [Theory]
    [MemberData(nameof(DepthsAndScales))]
    public void FusedMultiplyAddCopy_IsBitIdenticalToAFusedScalarLoop(int kc, float alpha, float beta)
    {
        // Nothing to check on a CPU without FMA (the copy never runs there).
        if (!KernelPaths.IsSupported(KernelPath.Avx2Fma))
        {
            return;
        }

        var (a, b, c) = Operands(kc, kc + 1);
        var expected = (float[])c.Clone();
        for (var i = 0; i < Gemm.MR; i++)
        {
            for (var j = 0; j < Gemm.NR; j++)
            {
                var acc = 0f;
                for (var p = 0; p < kc; p++)
                {
                    acc = MathF.FusedMultiplyAdd(a[(p * Gemm.MR) + i], b[(p * Gemm.NR) + j], acc);
                }

                ref var e = ref expected[(i * Ldc) + j];
                e = beta == 0f ? alpha * acc : MathF.FusedMultiplyAdd(alpha, acc, beta * e);
            }
        }

        Run<MicroKernel6x16<FusedMultiplyAdd>>(kc, a, b, c, alpha, beta);
        WeightBits.Of(c).Should().Equal(WeightBits.Of(expected));
    }

    [Theory]
    [MemberData(nameof(DepthsAndScales))]
    public void Avx512BlockKernel_IsBitIdenticalToFourFusedTiles(int kc, float alpha, float beta)
    {
        // Nothing to check on a CPU without AVX-512 F (the block kernel never runs there).
        if (!KernelPaths.IsSupported(KernelPath.Avx512Fma))
        {
            return;
        }

        // Two packed A micro-panels and two packed B micro-panels, one after the other; C is 12 x 32 with stride 37.
        const int ldc = (2 * Gemm.NR) + 5;
        var (a, b, c) = Operands(2 * kc, kc + 2, rows: 2 * Gemm.MR, ldc);
        var expected = (float[])c.Clone();
        fixed (float* pa = a, pb = b, pc = c, pe = expected)
        {
            for (var ti = 0; ti < 2; ti++)
            {
                for (var tj = 0; tj < 2; tj++)
                {
                    MicroKernel6x16<FusedMultiplyAdd>.Run(
                        kc, pa + (ti * Gemm.MR * kc), pb + (tj * Gemm.NR * kc), pe + (ti * Gemm.MR * ldc) + (tj * Gemm.NR), ldc, alpha, beta);
                }
            }

            Avx512FmaBlockKernel.Run(kc, pa, pb, pc, ldc, alpha, beta);
        }

        WeightBits.Of(c).Should().Equal(WeightBits.Of(expected));
    }

    private static void Run<TKernel>(int kc, float[] a, float[] b, float[] c, float alpha, float beta)
        where TKernel : IGemmMicroKernel
    {
        fixed (float* pa = a, pb = b, pc = c)
        {
            TKernel.Run(kc, pa, pb, pc, Ldc, alpha, beta);
        }
    }

    /// <summary>Packed A (steps x MR), packed B (steps x NR) and a C of <paramref name="rows"/> rows of stride <paramref name="ldc"/>, Gaussian.</summary>
    private static (float[] A, float[] B, float[] C) Operands(int steps, int seed, int rows = Gemm.MR, int ldc = Ldc) =>
        (TestData.Gaussian(steps * Gemm.MR, seed), TestData.Gaussian(steps * Gemm.NR, seed + 1000), TestData.Gaussian(rows * ldc, seed + 2000));
}
