
namespace SparseDictionary.Metrics;

/// <summary>Options of <see cref="SaeEvaluation.Evaluate"/>.</summary>
public sealed class EvaluationOptions
{
    /// <summary>Rows per batch while streaming the source. Default 4096.</summary>
    public int BatchSize { get; set; } = 4096;

    /// <summary>Rows evaluated at most; required for an unbounded source. Default: all rows of a bounded source.</summary>
    public long MaxRows { get; set; } = long.MaxValue;

    /// <summary>True feature directions as rows (e.g. <c>SyntheticFeatureSource.GroundTruthFeatures</c>), or null.</summary>
    public Matrix? GroundTruth { get; set; }

    /// <summary>A reference feature bank for coverage, or null.</summary>
    public Matrix? FeatureBank { get; set; }

    /// <summary>Row labels of the report, one per SAE; null for <c>sae0</c>, <c>sae1</c>, ...</summary>
    public IReadOnlyList<string>? Names { get; set; }
}
