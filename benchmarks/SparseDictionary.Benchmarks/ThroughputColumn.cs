using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace SparseDictionary.Benchmarks;

/// <summary>
/// A column of work per second: <c>work of one operation / time of one operation</c>, the work read off the case's
/// parameters (floating-point operations of a GEMM shape, tokens of a training batch, one row of a top-k selection)
/// and the time being the mean or the median of the case (<see cref="ThroughputStatistic"/>).
/// </summary>
/// <remarks>For example a training step of 1,024 tokens with a median of 40 ms shows 1024 / 0.040 s = 25,600 tokens/s.</remarks>
public sealed class ThroughputColumn : IColumn
{
    private readonly Func<BenchmarkCase, double?> _workPerOperation;
    private readonly ThroughputStatistic _statistic;
    private readonly double _unitScale;
    private readonly string _format;

    /// <summary>Creates the column.</summary>
    /// <param name="columnName">The header, with its unit (for example "Tokens/s (median)").</param>
    /// <param name="legend">The legend line BenchmarkDotNet prints under the table.</param>
    /// <param name="workPerOperation">The work of one operation of a case (null when the case has none: the cell shows "-").</param>
    /// <param name="statistic">The time the work is divided by.</param>
    /// <param name="unitScale">Work per second is divided by this (1e9 for GFLOP/s, 1 for tokens/s); positive.</param>
    /// <param name="format">The numeric format of a cell (invariant culture), for example "F1" or "N0".</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="unitScale"/> is not positive and finite.</exception>
    public ThroughputColumn(string columnName, string legend, Func<BenchmarkCase, double?> workPerOperation, ThroughputStatistic statistic, double unitScale, string format)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(columnName);
        ArgumentNullException.ThrowIfNull(legend);
        ArgumentNullException.ThrowIfNull(workPerOperation);
        ArgumentNullException.ThrowIfNull(format);
        if (!(unitScale > 0) || double.IsInfinity(unitScale))
        {
            throw new ArgumentOutOfRangeException(nameof(unitScale), unitScale, "The unit scale must be positive and finite.");
        }

        ColumnName = columnName;
        Legend = legend;
        _workPerOperation = workPerOperation;
        _statistic = statistic;
        _unitScale = unitScale;
        _format = format;
    }

    /// <summary>The GEMM benchmarks' column: <c>2 m n k / mean time</c>, in GFLOP/s.</summary>
    public static ThroughputColumn GigaflopsPerSecond { get; } = new(
        "GFLOP/s",
        "Throughput: 2 * m * n * k / mean time, in 10^9 floating-point operations per second",
        c => c.Parameters[nameof(GemmBenchmarks.Shape)] is GemmShape shape ? shape.Flops : null,
        ThroughputStatistic.Mean,
        1e9,
        "F1");

    /// <summary>The training-step benchmark's column: <c>batch rows / median time</c>, in tokens per second.</summary>
    public static ThroughputColumn TokensPerSecond { get; } = new(
        "Tokens/s (median)",
        "Training throughput: tokens of the batch / median time of a step",
        c => c.Parameters[nameof(TrainingStepBenchmarks.Config)] is string config ? TrainingStepBenchmarks.BatchRows(config) : null,
        ThroughputStatistic.Median,
        1,
        "N0");

    /// <summary>The top-k benchmark's column: <c>1 / median time per row</c>, in rows per second on one core.</summary>
    public static ThroughputColumn RowsPerSecond { get; } = new(
        "Rows/s (median)",
        "Selection throughput on one core: 1 / median time per row",
        _ => 1,
        ThroughputStatistic.Median,
        1,
        "N0");

    /// <inheritdoc/>
    public string Id => $"{nameof(ThroughputColumn)}.{ColumnName}";

    /// <inheritdoc/>
    public string ColumnName { get; }

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
    public string Legend { get; }

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
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        var nanoseconds = statistics is null ? 0 : _statistic == ThroughputStatistic.Median ? statistics.Median : statistics.Mean;
        return _workPerOperation(benchmarkCase) is { } work && nanoseconds > 0
            ? Throughput(work, nanoseconds, _unitScale).ToString(_format, CultureInfo.InvariantCulture)
            : "-";
    }

    /// <summary>Work per second in units of <paramref name="unitScale"/>: <c>work / (nanoseconds * 1e-9) / unitScale</c>.</summary>
    /// <param name="work">The work of one operation.</param>
    /// <param name="nanoseconds">The time of one operation, in nanoseconds.</param>
    /// <param name="unitScale">The unit.</param>
    /// <returns>The throughput.</returns>
    public static double Throughput(double work, double nanoseconds, double unitScale) => work * 1e9 / nanoseconds / unitScale;
}
