namespace SparseDictionary.Metrics;

/// <summary>One measurement of an SAE, possibly relative to the other SAEs evaluated with it or to a ground truth.</summary>
/// <remarks>
/// <see cref="SaeEvaluation.Evaluate"/> calls <see cref="Measure"/> once per SAE. Implement it to add a measurement to
/// the report; the built-in ones are in <see cref="StandardMetrics"/>. Every built-in metric is also callable directly on
/// matrices (<see cref="ReconstructionMetrics"/>, <see cref="DiversityMetrics"/>,
/// <see cref="FeatureSimilarity"/>, ...).
/// </remarks>
public interface IMetric
{
    /// <summary>The column name in reports, e.g. <c>fvu</c>.</summary>
    string Name { get; }

    /// <summary>Measures the SAE of <paramref name="context"/>.</summary>
    /// <param name="context">The SAE, its streamed reconstruction figures, the other SAEs and the optional references.</param>
    /// <returns>The value, or null when the metric does not apply (e.g. no ground truth was given, or only one SAE).</returns>
    double? Measure(MetricContext context);
}
