
namespace SparseDictionary.Metrics;

/// <summary>Evaluates one or several SAEs on an evaluation source with a list of metrics, in one call.</summary>
public static class SaeEvaluation
{
    /// <summary>
    /// Streams <paramref name="source"/> through each SAE (<see cref="ReconstructionEvaluation.Evaluate"/>),
    /// then applies every metric to every SAE.
    /// </summary>
    /// <remarks>
    /// A metric that cannot be computed for an SAE (it throws, or returns NaN or an infinity) does not abort the
    /// evaluation: its cell is NaN with the reason (<see cref="EvaluationReport.Reason"/>, <c>n/a (reason)</c> in the
    /// tables) and every other cell is still computed. So are data of zero total variance: the FVU and explained
    /// variance are then n/a with that reason. Errors in the inputs themselves (listed below, and a source row that is
    /// NaN or infinite, or an SAE whose activation returns invalid codes) still throw.
    /// </remarks>
    /// <param name="saes">The SAEs, at least one, all with the source's width.</param>
    /// <param name="source">The evaluation rows.</param>
    /// <param name="options">Batch size, row limit, ground truth, feature bank, names; null for the defaults.</param>
    /// <param name="metrics">The metrics; null for <see cref="StandardMetrics.All"/>. Names must be distinct.</param>
    /// <returns>One row per SAE, one column per metric.</returns>
    /// <exception cref="ArgumentException">No SAE, a width mismatch, names of the wrong count, repeated metric names, or a reference set of the wrong width.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is out of range (<see cref="EvaluationOptionsValidator"/>).</exception>
    public static EvaluationReport Evaluate(IReadOnlyList<SparseAutoencoder> saes, IActivationSource source, EvaluationOptions? options = null, IEnumerable<IMetric>? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(saes);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new EvaluationOptions();
        var validation = new EvaluationOptionsValidator().Validate(Microsoft.Extensions.Options.Options.DefaultName, options);
        if (validation.Failed)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(EvaluationOptions), validation.Failures);
        }

        var metricList = (metrics ?? StandardMetrics.All()).ToArray();
        if (saes.Count == 0)
        {
            throw new ArgumentException("No SAE to evaluate: pass at least one.", nameof(saes));
        }

        var repeated = metricList.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
        {
            throw new ArgumentException($"The metric name '{repeated.Key}' appears {repeated.Count()} times; report columns need distinct names.", nameof(metrics));
        }

        var names = options.Names ?? Enumerable.Range(0, saes.Count).Select(i => $"sae{i}").ToArray();
        if (names.Count != saes.Count)
        {
            throw new ArgumentException($"EvaluationOptions.Names has {names.Count} names for {saes.Count} SAEs.", nameof(options));
        }

        CheckWidth(options.GroundTruth, source.Dimension, nameof(options.GroundTruth));
        CheckWidth(options.FeatureBank, source.Dimension, nameof(options.FeatureBank));

        var values = new double?[saes.Count][];
        var reasons = new string?[saes.Count][];
        var reconstructions = saes.Select(sae => ReconstructionEvaluation.EvaluateCore(sae, source, options.BatchSize, options.MaxRows, zeroVarianceAsNaN: true)).ToArray();
        for (var i = 0; i < saes.Count; i++)
        {
            var context = new MetricContext(i, saes[i], reconstructions[i], saes, options.GroundTruth, options.FeatureBank);
            values[i] = new double?[metricList.Length];
            reasons[i] = new string?[metricList.Length];
            for (var m = 0; m < metricList.Length; m++)
            {
                (values[i][m], reasons[i][m]) = Measure(metricList[m], context);
            }
        }

        return new EvaluationReport(names.ToArray(), metricList.Select(m => m.Name).ToArray(), values, reasons, reconstructions);
    }

    /// <summary>One cell: the metric's value, or NaN and the reason when it throws or returns a non-finite number.</summary>
    private static (double? Value, string? Reason) Measure(IMetric metric, MetricContext context)
    {
        double? value;
        try
        {
            value = metric.Measure(context);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (double.NaN, e.Message);
        }

        return value is { } v && !double.IsFinite(v)
            ? (double.NaN, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the metric returned {v}"))
            : (value, null);
    }

    private static void CheckWidth(Matrix? reference, int width, string name)
    {
        if (reference is not null && reference.Columns != width)
        {
            throw new ArgumentException($"EvaluationOptions.{name} has {reference.Columns} columns but the source's rows have {width}.", name);
        }
    }
}
