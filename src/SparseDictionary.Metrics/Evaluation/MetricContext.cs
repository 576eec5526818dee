
namespace SparseDictionary.Metrics;

/// <summary>What a metric sees of one SAE during an evaluation.</summary>
/// <param name="Index">The SAE's position in the evaluated list.</param>
/// <param name="Sae">The SAE.</param>
/// <param name="Reconstruction">Its figures streamed over the evaluation source.</param>
/// <param name="AllSaes">Every evaluated SAE, including this one (for cross-SAE metrics).</param>
/// <param name="GroundTruth">True feature directions as rows, when known (e.g. synthetic data), else null.</param>
/// <param name="FeatureBank">A reference set of feature directions for coverage, else null.</param>
public sealed record MetricContext(
    int Index,
    SparseAutoencoder Sae,
    ReconstructionReport Reconstruction,
    IReadOnlyList<SparseAutoencoder> AllSaes,
    Matrix? GroundTruth,
    Matrix? FeatureBank);
