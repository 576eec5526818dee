
namespace SparseDictionary.Metrics;

/// <summary>The built-in metrics as <see cref="IMetric"/> instances, each a thin wrapper of a function callable on matrices.</summary>
public static class StandardMetrics
{
    /// <summary>Fraction of variance unexplained over the evaluation set (<see cref="ReconstructionMetrics.FractionOfVarianceUnexplained"/>).</summary>
    /// <remarks>Not available when the evaluation rows have zero total variance (every row equal to the mean row).</remarks>
    public static IMetric FractionOfVarianceUnexplained { get; } = new DelegateMetric("fvu", c => Defined(c.Reconstruction.FractionOfVarianceUnexplained, ZeroVariance(c)));

    /// <summary>Explained variance, 1 - FVU.</summary>
    /// <remarks>Not available when the evaluation rows have zero total variance.</remarks>
    public static IMetric ExplainedVariance { get; } = new DelegateMetric("explained_variance", c => Defined(c.Reconstruction.ExplainedVariance, ZeroVariance(c)));

    /// <summary>
    /// Seed 001's inactivity deviation (1/h) Σ_i |f_i - k/h| / (k/h) over the evaluation set's firing frequencies, with
    /// k the TopK k (for other activations, the mean L0 rounded, at least 1).
    /// </summary>
    public static IMetric InactivityDeviation { get; } = new DelegateMetric("inactivity_dev", c =>
        SparsityMetrics.InactivityDeviation([.. c.Reconstruction.FiringFrequencies], ExpectedActive(c)));

    /// <summary>Mean squared error per entry.</summary>
    public static IMetric MeanSquaredError { get; } = new DelegateMetric("mse", c => c.Reconstruction.MeanSquaredError);

    /// <summary>Mean cosine between inputs and reconstructions.</summary>
    public static IMetric CosineSimilarity { get; } = new DelegateMetric("cosine", c => c.Reconstruction.MeanCosineSimilarity);

    /// <summary>Mean ||x_hat|| / ||x||.</summary>
    /// <remarks>Not available when every evaluation row is zero.</remarks>
    public static IMetric L2Ratio { get; } = new DelegateMetric("l2_ratio", c =>
        Defined(c.Reconstruction.MeanL2Ratio, $"all {c.Reconstruction.Rows} evaluation rows are zero vectors, so ||x_hat|| / ||x|| is undefined for every row"));

    /// <summary>Mean number of active latents per row.</summary>
    public static IMetric MeanL0 { get; } = new DelegateMetric("l0", c => c.Reconstruction.MeanL0);

    /// <summary>Share of latents that never fire on the evaluation set.</summary>
    public static IMetric DeadLatentShare { get; } = new DelegateMetric("dead", c => c.Reconstruction.DeadLatentShare);

    /// <summary>Effective rank of the decoder directions (<see cref="DiversityMetrics.EffectiveRank"/>).</summary>
    public static IMetric EffectiveRank { get; } = new DelegateMetric("effective_rank", c => DiversityMetrics.EffectiveRank(c.Sae.DecoderWeights));

    /// <summary>
    /// Semantic volume of the decoder directions (<see cref="DiversityMetrics.SemanticVolume"/>, epsilon 1e-6); it
    /// factors a dense latents x latents matrix, so it is null above <see cref="SemanticVolumeMaxLatents"/> latents.
    /// </summary>
    public static IMetric SemanticVolume { get; } = new DelegateMetric("semantic_volume", c =>
        c.Sae.LatentCount > SemanticVolumeMaxLatents ? null : DiversityMetrics.SemanticVolume(c.Sae.DecoderWeights));

    /// <summary>The largest latent count for which <see cref="SemanticVolume"/> is computed (a 4096² double matrix is 128 MB).</summary>
    public const int SemanticVolumeMaxLatents = 4096;

    /// <summary>Mean max cosine of the ground-truth features with the decoder (null without ground truth).</summary>
    public static IMetric GroundTruthMmcs { get; } = new DelegateMetric("gt_mmcs", c => c.GroundTruth is null ? null : FeatureSimilarity.MeanMaxCosine(c.GroundTruth, c.Sae.DecoderWeights));

    /// <summary>Hungarian-matched mean cosine of the ground-truth features with the decoder (null without ground truth).</summary>
    /// <remarks>Null when the cosine matrix would exceed <see cref="MatchedSimilarity.MaxEntries"/> entries.</remarks>
    public static IMetric GroundTruthMatchedCosine { get; } = new DelegateMetric("gt_matched", c =>
        c.GroundTruth is null || (long)c.GroundTruth.Rows * c.Sae.LatentCount > MatchedSimilarity.MaxEntries
            ? null
            : MatchedSimilarity.MatchedMeanCosine(c.GroundTruth, c.Sae.DecoderWeights));

    /// <summary>Mean over the other SAEs of MMCS(this decoder, other decoder) (null with one SAE).</summary>
    public static IMetric CrossSaeMmcs { get; } = new DelegateMetric("cross_mmcs", c =>
    {
        var others = c.AllSaes.Where((_, i) => i != c.Index).ToArray();
        return others.Length == 0 ? null : others.Average(o => FeatureSimilarity.MeanMaxCosine(c.Sae.DecoderWeights, o.DecoderWeights));
    });

    /// <summary>
    /// Pearson correlation between each decoder feature's similarity to the next SAE (cyclically) and to the ground truth,
    /// seed 001 figures 2 and 3 (null with one SAE or without ground truth).
    /// </summary>
    public static IMetric CrossSaeGroundTruthCorrelation { get; } = new DelegateMetric("cross_gt_corr", c =>
        c.GroundTruth is null || c.AllSaes.Count < 2
            ? null
            : SimilarityCorrelation.CrossSaeVersusGroundTruth(c.Sae.DecoderWeights, c.AllSaes[(c.Index + 1) % c.AllSaes.Count].DecoderWeights, c.GroundTruth));

    /// <summary>Share of ground-truth features whose best cosine with the decoder exceeds <paramref name="threshold"/>.</summary>
    /// <param name="threshold">The cosine threshold, e.g. 0.9.</param>
    /// <returns>The metric, named <c>gt_recovered@threshold</c>.</returns>
    public static IMetric FeaturesRecovered(double threshold) =>
        new DelegateMetric(FormattableString.Invariant($"gt_recovered@{threshold}"), c => c.GroundTruth is null ? null : FeatureSimilarity.FeaturesRecovered(c.GroundTruth, c.Sae.DecoderWeights, threshold));

    /// <summary>Share of decoder rows that do not duplicate another at cosine above <paramref name="tau"/>.</summary>
    /// <param name="tau">The duplicate threshold, e.g. 0.9.</param>
    /// <returns>The metric, named <c>unique@tau</c>.</returns>
    public static IMetric UniqueFeatureShare(double tau) =>
        new DelegateMetric(FormattableString.Invariant($"unique@{tau}"), c => DiversityMetrics.UniqueFeatureShare(c.Sae.DecoderWeights, tau));

    /// <summary>Share of the feature bank covered by the decoder at cosine above <paramref name="tau"/> (null without a bank).</summary>
    /// <param name="tau">The coverage threshold, e.g. 0.9.</param>
    /// <returns>The metric, named <c>coverage@tau</c>.</returns>
    public static IMetric FeatureCoverage(double tau) =>
        new DelegateMetric(FormattableString.Invariant($"coverage@{tau}"), c => c.FeatureBank is null ? null : DiversityMetrics.FeatureCoverage(c.FeatureBank, c.Sae.DecoderWeights, tau));

    /// <summary>Every metric above, with thresholds 0.9: what <see cref="SaeEvaluation.Evaluate"/> reports by default.</summary>
    /// <returns>A new list.</returns>
    public static IReadOnlyList<IMetric> All() =>
    [
        FractionOfVarianceUnexplained, ExplainedVariance, MeanSquaredError, CosineSimilarity, L2Ratio, MeanL0, DeadLatentShare, InactivityDeviation,
        EffectiveRank, SemanticVolume, UniqueFeatureShare(0.9), FeatureCoverage(0.9),
        GroundTruthMmcs, GroundTruthMatchedCosine, FeaturesRecovered(0.9), CrossSaeMmcs, CrossSaeGroundTruthCorrelation,
    ];

    /// <summary><paramref name="value"/>, or an exception saying <paramref name="reason"/> when it is NaN (the figure is undefined).</summary>
    private static double Defined(double value, string reason) => double.IsNaN(value) ? throw new InvalidOperationException(reason) : value;

    private static string ZeroVariance(MetricContext c) =>
        $"the {c.Reconstruction.Rows} evaluation rows have zero total variance (every row equals the mean row), so the fraction of variance unexplained is undefined";

    private static int ExpectedActive(MetricContext c) =>
        c.Sae.Activation is ITopKActivation topK
            ? topK.K
            : Math.Clamp((int)Math.Round(c.Reconstruction.MeanL0), 1, c.Sae.LatentCount);
}
