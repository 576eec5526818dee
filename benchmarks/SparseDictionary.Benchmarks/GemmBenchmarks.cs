using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using SparseDictionary.Kernels;

namespace SparseDictionary.Benchmarks;

/// <summary>
/// Single-precision GEMM, <c>C (m x n) = A (m x k) * W^T</c> with W stored n x k (transposeB = true, the SAE
/// encoder layout), on all cores, on every kernel path this CPU supports except the scalar one.
/// </summary>
/// <remarks>
/// <para>
/// The GFLOP/s column is <c>2 * m * n * k / mean time</c> (for example 4096 x 6144 x 768 in 300 ms is
/// 2 * 4096 * 6144 * 768 / 0.300 s = 128.8 GFLOP/s).
/// </para>
/// <para>
/// Reference figures: OpenBLAS on 2 threads, measured on the same machine with <c>benchmarks/openblas/run.sh</c>
/// (shapes there are written m x n x k as here; the issue writes them m x k x n).
/// </para>
/// <para>
/// Run: <c>dotnet run -c Release --project benchmarks/SparseDictionary.Benchmarks -- --filter '*Gemm*'</c>
/// (add <c>--job short</c> for a quick look).
/// </para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(GemmBenchmarkConfig))]
public class GemmBenchmarks
{
    private GemmOperands _operands = null!;
    private IDisposable? _forcedPath;

    /// <summary>The shapes, m x n x k: the two, then the encoder products of C2 and C3.</summary>
    public static IEnumerable<GemmShape> Shapes =>
    [
        new(4096, 6144, 768),
        new(1024, 3072, 768),
        new(1024, 16384, 768),
        new(10000, 512, 256),
    ];

    /// <summary>The vector paths this CPU supports (<see cref="KernelPath.Vector256"/> is the portable baseline).</summary>
    public static IEnumerable<KernelPath> VectorPaths =>
        new[] { KernelPath.Vector256, KernelPath.Avx2Fma, KernelPath.Avx512Fma }.Where(KernelPaths.IsSupported);

    /// <summary>The shape of this run.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; }

    /// <summary>The kernel path of this run, forced for the whole run.</summary>
    [ParamsSource(nameof(VectorPaths))]
    public KernelPath Path { get; set; }

    /// <summary>Fills the operands and forces the path (outside the timed method, so it allocates nothing per call).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _operands = new GemmOperands(Shape);
        _forcedPath = KernelPaths.Force(Path);
    }

    /// <summary>Releases the forced path.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _forcedPath?.Dispose();
        _forcedPath = null;
    }

    /// <summary>One multiplication on all cores.</summary>
    [Benchmark]
    public void AllCores() => _operands.Multiply(-1);
}

/// <summary>
/// The GEMM on the best path (<see cref="KernelPaths.Best"/>) as the library also runs it: on one thread, and as the
/// encoder does, W packed once and multiplied by blocks of 256 rows of A.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(GemmBenchmarkConfig))]
public class GemmUseBenchmarks
{
    private GemmOperands _operands = null!;
    private PackedRightOperand? _packed;

    /// <summary>The shapes of <see cref="GemmBenchmarks.Shapes"/>.</summary>
    public static IEnumerable<GemmShape> Shapes => GemmBenchmarks.Shapes;

    /// <summary>The shape of this run.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; }

    /// <summary>Fills the operands and packs W for the pre-packed benchmark.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _operands = new GemmOperands(Shape);
        _packed = Gemm.PackRight(true, Shape.K, Shape.N, _operands.W, Shape.K);
    }

    /// <summary>Releases the pre-packed operand.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _packed?.Dispose();
        _packed = null;
    }

    /// <summary>The best path on the calling thread only.</summary>
    [Benchmark]
    public void SingleThread() => _operands.Multiply(1);

    /// <summary>W packed once (in setup), multiplied by row blocks of 256 rows of A, each block on all cores.</summary>
    [Benchmark]
    public void PackedRowBlocks()
    {
        const int blockRows = 256;
        int m = Shape.M, n = Shape.N, k = Shape.K;
        for (int row = 0; row < m; row += blockRows)
        {
            int rows = Math.Min(blockRows, m - row);
            Gemm.Multiply(false, rows, 1f, _operands.A.AsSpan(row * k, rows * k), k, _packed!, 0f, _operands.C.AsSpan(row * n, rows * n), n);
        }
    }

    /// <summary>
    /// The streamed encoder's use: 256-row blocks against the pre-packed W, one single-thread call per block and the
    /// blocks on all cores at once, so each call takes the strip order (op(A) packed whole, C in 32-column strips).
    /// </summary>
    [Benchmark]
    public void PackedRowBlocksOnePerCore()
    {
        const int blockRows = 256;
        int m = Shape.M, n = Shape.N, k = Shape.K;
        Parallel.For(0, (m + blockRows - 1) / blockRows, block =>
        {
            int row = block * blockRows;
            int rows = Math.Min(blockRows, m - row);
            Gemm.Multiply(false, rows, 1f, _operands.A.AsSpan(row * k, rows * k), k, _packed!, 0f, _operands.C.AsSpan(row * n, rows * n), n, maxDegreeOfParallelism: 1);
        });
    }
}

/// <summary>The operands of one GEMM benchmark shape: A (m x k) and W (n x k) with values in [-1, 1), and C.</summary>
public sealed class GemmOperands
{
    /// <summary>Fills A and W from a fixed seed.</summary>
    /// <param name="shape">The shape.</param>
    public GemmOperands(GemmShape shape)
    {
        Shape = shape;
        var random = new Random(42);
        A = Fill(new float[shape.M * shape.K], random);
        W = Fill(new float[shape.N * shape.K], random);
        C = new float[shape.M * shape.N];
    }

    /// <summary>The shape.</summary>
    public GemmShape Shape { get; }

    /// <summary>The left operand, m x k.</summary>
    public float[] A { get; }

    /// <summary>The right operand as stored, n x k (used transposed).</summary>
    public float[] W { get; }

    /// <summary>The result, m x n.</summary>
    public float[] C { get; }

    /// <summary>C = A W^T with the current path.</summary>
    /// <param name="maxDegreeOfParallelism">The thread cap.</param>
    public void Multiply(int maxDegreeOfParallelism) =>
        Gemm.Multiply(false, true, Shape.M, Shape.N, Shape.K, 1f, A, Shape.K, W, Shape.K, 0f, C, Shape.N, maxDegreeOfParallelism);

    private static float[] Fill(float[] values, Random random)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}

/// <summary>A GEMM shape, C is m x n and the depth is k.</summary>
/// <param name="M">Rows of C.</param>
/// <param name="N">Columns of C.</param>
/// <param name="K">The depth.</param>
public readonly record struct GemmShape(int M, int N, int K)
{
    /// <summary>The number of floating-point operations of one multiplication, 2 m n k.</summary>
    public double Flops => 2.0 * M * N * K;

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{M}x{N}x{K}");
}

/// <summary>Adds the GFLOP/s column to the GEMM benchmarks.</summary>
public sealed class GemmBenchmarkConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public GemmBenchmarkConfig() => AddColumn(ThroughputColumn.GigaflopsPerSecond);
}
