namespace SparseDictionary;

/// <summary>
/// Parameters of the synthetic data of Marks et al. (MFR paper, seed 001, section 3.1); the defaults are the paper's
/// settings: d = 256, G = 512 features, E = 12 groups, K = 36 active features per sample, lambda = 0.99.
/// </summary>
public sealed class SyntheticFeatureOptions
{
    /// <summary>Input dimension d. Default 256.</summary>
    public int InputDimension { get; set; } = 256;

    /// <summary>Number G of ground-truth features. Default 512.</summary>
    public int FeatureCount { get; set; } = 512;

    /// <summary>Number E of feature groups; each holds S = floor(G / E) consecutive features, the remainder is unused. Default 12.</summary>
    public int GroupCount { get; set; } = 12;

    /// <summary>
    /// Number K of distinct active features drawn inside a group (K &lt;= S): per sample inside its one group with
    /// <see cref="SyntheticActiveSetMode.OneGroup"/> and <see cref="SyntheticActiveSetMode.SharedWithinChunk"/>, inside
    /// every group with <see cref="SyntheticActiveSetMode.AllGroups"/> (E x K per sample). Default 36.
    /// </summary>
    public int ActiveFeatures { get; set; } = 36;

    /// <summary>Decay lambda in (0, 1]: feature j of a group (j = 0..S-1) is drawn with weight lambda^j. Default 0.99.</summary>
    public double Decay { get; set; } = 0.99;

    /// <summary>Seed of the feature matrix and of the samples. Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>Samples in the stream, or null for an unbounded stream. Default null.</summary>
    public long? Length { get; set; }

    /// <summary>
    /// How the active features of a sample are chosen: one group per sample (section 3.1, the default), K features in
    /// every group, or the authors' code's active sets shared within a chunk. Default
    /// <see cref="SyntheticActiveSetMode.OneGroup"/>, whose stream does not depend on <see cref="ChunkSize"/>.
    /// </summary>
    public SyntheticActiveSetMode ActiveSetMode { get; set; } = SyntheticActiveSetMode.OneGroup;

    /// <summary>
    /// With <see cref="SyntheticActiveSetMode.SharedWithinChunk"/>: samples per chunk, at least 1; samples i with the
    /// same i / ChunkSize form one chunk (the authors' <c>data_batch_size</c>). Ignored by the other modes. Default
    /// 1,000,000 (the authors' default).
    /// </summary>
    public long ChunkSize { get; set; } = 1_000_000;
}
