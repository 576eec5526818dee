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
/// encoder layout), on all cores.
/// </summary>
/// <remarks>
/// <para>
/// The GFLOP/s column is <c>2 * m * n * k / mean time</c> (for example 4096 x 6144 x 768 in 300 ms is
/// 2 * 4096 * 6144 * 768 / 0.300 s = 128.8 GFLOP/s).
/// </para>
/// <para>
/// Reference figures, OpenBLAS on the 2-core machine this was tuned on: 133 GFLOP/s for 4096 x 6144 x 768 and
/// 158 GFLOP/s for 1024 x 3072 x 768 (OpenBLAS states them as m x k x n = 4096 x 768 x 6144 and
/// 1024 x 768 x 3072). The encoder shapes are 1024 x 16384 x 768 and 10000 x 512 x 256.
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
    private float[] _a = [];
    private float[] _w = [];
    private float[] _c = [];
    private PackedRightOperand? _packed;
    private IDisposable? _forcedPath;

    /// <summary>The shapes, m x n x k.</summary>
    public static IEnumerable<GemmShape> Shapes =>
    [
        new(4096, 6144, 768),
        new(1024, 3072, 768),
        new(1024, 16384, 768),
        new(10000, 512, 256),
    ];

    /// <summary>The shape of this run.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; }

    /// <summary>Fills A and W with values in [-1, 1) and packs W for the pre-packed benchmark.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _a = new float[Shape.M * Shape.K];
        _w = new float[Shape.N * Shape.K];
        _c = new float[Shape.M * Shape.N];
        for (int i = 0; i < _a.Length; i++)
        {
            _a[i] = (float)((random.NextDouble() * 2) - 1);
        }

        for (int i = 0; i < _w.Length; i++)
        {
            _w[i] = (float)((random.NextDouble() * 2) - 1);
        }

        _packed = Gemm.PackRight(true, Shape.K, Shape.N, _w, Shape.K);
    }

    /// <summary>Forces the portable path for the baseline (outside the timed method, so it allocates nothing per call).</summary>
    [GlobalSetup(Target = nameof(Vector256Path))]
    public void SetupVector256()
    {
        Setup();
        _forcedPath = KernelPaths.Force(KernelPath.Vector256);
    }

    /// <summary>Releases the pre-packed operand and the forced path.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _forcedPath?.Dispose();
        _forcedPath = null;
        _packed?.Dispose();
        _packed = null;
    }

    /// <summary>The portable <see cref="KernelPath.Vector256"/> micro-kernel (no FMA), all cores.</summary>
    [Benchmark(Baseline = true)]
    public void Vector256Path() => Multiply(-1);

    /// <summary>The best path (<see cref="KernelPath.Avx2Fma"/> here), all cores.</summary>
    [Benchmark]
    public void Avx2FmaPath() => Multiply(-1);

    /// <summary>The best path on the calling thread only.</summary>
    [Benchmark]
    public void Avx2FmaSingleThread() => Multiply(1);

    /// <summary>The encoder's use: W packed once (in setup), multiplied by row blocks of 256 rows of A.</summary>
    [Benchmark]
    public void Avx2FmaPackedRowBlocks()
    {
        const int blockRows = 256;
        int m = Shape.M, n = Shape.N, k = Shape.K;
        for (int row = 0; row < m; row += blockRows)
        {
            int rows = Math.Min(blockRows, m - row);
            Gemm.Multiply(false, rows, 1f, _a.AsSpan(row * k, rows * k), k, _packed!, 0f, _c.AsSpan(row * n, rows * n), n);
        }
    }

    /// <summary>One full multiplication with the current path.</summary>
    /// <param name="maxDegreeOfParallelism">The thread cap.</param>
    private void Multiply(int maxDegreeOfParallelism) =>
        Gemm.Multiply(false, true, Shape.M, Shape.N, Shape.K, 1f, _a, Shape.K, _w, Shape.K, 0f, _c, Shape.N, maxDegreeOfParallelism);
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

/// <summary>Adds the GFLOP/s column to <see cref="GemmBenchmarks"/>.</summary>
public sealed class GemmBenchmarkConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public GemmBenchmarkConfig() => AddColumn(new GflopsColumn());
}

/// <summary>A column with <c>2 m n k / mean time</c>, in GFLOP/s.</summary>
public sealed class GflopsColumn : IColumn
{
    /// <inheritdoc/>
    public string Id => nameof(GflopsColumn);

    /// <inheritdoc/>
    public string ColumnName => "GFLOP/s";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Statistics;

    /// <inheritdoc/>
    public int PriorityInCategory => 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "Throughput: 2 * m * n * k / mean time, in 10^9 floating-point operations per second";

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        double? meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        object? shape = benchmarkCase.Parameters[nameof(GemmBenchmarks.Shape)];
        if (meanNanoseconds is not > 0 || shape is not GemmShape gemmShape)
        {
            return "-";
        }

        return (gemmShape.Flops / meanNanoseconds.Value).ToString("F1", CultureInfo.InvariantCulture);
    }
}
