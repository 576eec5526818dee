using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SparseDictionary.Kernels;

namespace SparseDictionary.Benchmarks;

/// <summary>
/// Our GEMM and OpenBLAS's <c>cblas_sgemm</c> on the GEMM benchmark's shapes, called alternately in one process, so
/// that both meet the same moments of a noisy machine: <c>C = A W^T</c>, W stored n x k, single precision.
/// </summary>
/// <remarks>
/// <para>
/// Run: <c>OPENBLAS_NUM_THREADS=2 OPENBLAS_CORETYPE=SkylakeX dotnet run -c Release --project
/// benchmarks/SparseDictionary.Benchmarks -- --openblas-interleaved [calls] [path]</c> (Debian: <c>apt-get install
/// libopenblas0-pthread</c>; OPENBLAS_CORETYPE forces a kernel family where OpenBLAS does not recognise a virtual CPU).
/// <c>path</c> names our <see cref="KernelPath"/> (default <see cref="KernelPaths.Best"/>): <c>Avx2Fma</c> with
/// <c>OPENBLAS_CORETYPE=Haswell</c> compares the two AVX2 kernels on a machine that also has AVX-512.
/// </para>
/// <para>
/// Compare the best calls: OpenBLAS's threads spin for a while after each call, which slows the call that follows
/// (ours), so the medians of alternating calls are biased against our GEMM.
/// </para>
/// </remarks>
internal static class OpenBlasComparison
{
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const int Trans = 112;

    /// <summary>Times both GEMMs on every shape and prints the best and median GFLOP/s of each.</summary>
    /// <param name="args">Optionally the number of calls of each per shape (default 12), then our kernel path.</param>
    /// <returns>0, or 1 when OpenBLAS cannot be loaded or an argument is not a positive count or a supported path.</returns>
    public static int Run(string[] args)
    {
        var calls = 12;
        if (args.Length > 0 && (!int.TryParse(args[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out calls) || calls < 1))
        {
            Console.Error.WriteLine($"The number of calls must be a positive integer; got '{args[0]}'.");
            return 1;
        }

        var path = KernelPaths.Best;
        if (args.Length > 1 && (!Enum.TryParse(args[1], ignoreCase: true, out path) || !Enum.IsDefined(path) || !KernelPaths.IsSupported(path)))
        {
            Console.Error.WriteLine($"The kernel path must be one of {string.Join(", ", Enum.GetValues<KernelPath>().Where(KernelPaths.IsSupported))} on this machine; got '{args[1]}'.");
            return 1;
        }

        using var forced = KernelPaths.Force(path);
        Console.WriteLine($"Our GEMM on {path}, {Environment.ProcessorCount} threads; OpenBLAS with OPENBLAS_NUM_THREADS={Environment.GetEnvironmentVariable("OPENBLAS_NUM_THREADS") ?? "(unset)"}, OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(detected)"}; {calls} calls each, alternating.");
        foreach (var shape in GemmBenchmarks.Shapes)
        {
            var operands = new GemmOperands(shape);
            var ours = new double[calls];
            var theirs = new double[calls];
            for (var call = 0; call < calls; call++)
            {
                var watch = Stopwatch.StartNew();
                operands.Multiply(-1);
                ours[call] = watch.Elapsed.TotalSeconds;
                watch.Restart();
                try
                {
                    NativeMethods.cblas_sgemm(RowMajor, NoTrans, Trans, shape.M, shape.N, shape.K, 1f, operands.A, shape.K, operands.W, shape.K, 0f, operands.C, shape.N);
                }
                catch (DllNotFoundException e)
                {
                    Console.Error.WriteLine($"OpenBLAS could not be loaded ({NativeMethods.Library}): {e.Message}");
                    return 1;
                }

                theirs[call] = watch.Elapsed.TotalSeconds;
            }

            Array.Sort(ours);
            Array.Sort(theirs);
            var giga = shape.Flops / 1e9;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{shape,-16} ours best {giga / ours[0],6:F1} median {giga / ours[calls / 2],6:F1} GFLOP/s | OpenBLAS best {giga / theirs[0],6:F1} median {giga / theirs[calls / 2],6:F1} | ours / OpenBLAS, best calls: {theirs[0] / ours[0] * 100:F0} %"));
        }

        return 0;
    }

    private static class NativeMethods
    {
        public const string Library = "libopenblas.so.0";

        [DllImport(Library)]
        public static extern void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc);
    }
}
