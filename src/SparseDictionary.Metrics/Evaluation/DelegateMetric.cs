namespace SparseDictionary.Metrics;

/// <summary>A metric defined by a name and a function, e.g. <c>new DelegateMetric("l0", c => c.Reconstruction.MeanL0)</c>.</summary>
public sealed class DelegateMetric : IMetric
{
    private readonly Func<MetricContext, double?> _measure;

    /// <summary>Creates the metric.</summary>
    /// <param name="name">The column name, not empty.</param>
    /// <param name="measure">Computes the value of one SAE, or null when it does not apply.</param>
    public DelegateMetric(string name, Func<MetricContext, double?> measure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(measure);
        Name = name;
        _measure = measure;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public double? Measure(MetricContext context) => _measure(context);
}
