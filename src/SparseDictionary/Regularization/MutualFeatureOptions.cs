using SparseDictionary.Regularization;
namespace SparseDictionary;

/// <summary>Options of <see cref="MutualFeatureRegularizer"/>.</summary>
public sealed class MutualFeatureOptions
{
    /// <summary>
    /// alpha: the weight of the penalty after warm-up, finite and &gt;= 0, on the scale <see cref="ScaleByInputDimension"/>
    /// says. Default 3 (seed 001's synthetic-data runs).
    /// </summary>
    public float Coefficient { get; set; } = 3f;

    /// <summary>
    /// When true (default), <see cref="Coefficient"/> is read as in seed 001's code, next to a reconstruction loss
    /// averaged over the d entries of each row (PyTorch's <c>nn.MSELoss</c>); the trainer's loss sums over the d
    /// entries, so the penalty is weighted alpha · d (AdamW is invariant to scaling the whole loss, so the two runs
    /// take the same steps). When false, the penalty is weighted by alpha itself. Ignored with
    /// <see cref="CoefficientFromInitialLoss"/>.
    /// </summary>
    public bool ScaleByInputDimension { get; set; } = true;

    /// <summary>
    /// When true, <see cref="Coefficient"/> is ignored and alpha is set at the first step so that the un-warmed penalty
    /// equals the initial reconstruction loss (the sum of the SAEs' reconstruction losses on the first batch), as
    /// seed 001 does for its EEG and language-model runs. Default false.
    /// </summary>
    public bool CoefficientFromInitialLoss { get; set; }

    /// <summary>W: steps of cosine warm-up, alpha_t = alpha · ½(1 + cos(π (W - t) / W)) for t &lt; W; 0 for none. Default 100 (seed 001).</summary>
    public int WarmupSteps { get; set; } = 100;

    /// <summary>
    /// Steps between two matchings, at least 1. Default 1: the partners are searched again at every step (exact).
    /// Larger values reuse each row's partner between refreshes (the penalty and its gradient are still computed from
    /// the current weights, through those partners), which divides the O(h² d) search cost by the interval.
    /// </summary>
    public int RefreshInterval { get; set; } = 1;

    /// <summary>How decoder rows are paired across SAEs; null (default) for <see cref="MaxCosineMatcher"/> (seed 001's formula).</summary>
    public IFeatureMatcher? Matcher { get; set; }

    /// <summary>
    /// When true, each pair of SAEs is compared in both directions: MMCS_sym(W_i, W_j) = ½ (MMCS(W_i → W_j) +
    /// MMCS(W_j → W_i)), each direction matched by <see cref="Matcher"/> (rows of the first set paired into the second),
    /// and the penalty is alpha / C(N, 2) · Σ_{i&lt;j} (1 - MMCS_sym(W_i, W_j)). Seed 001's MMCS (section 3.3) is
    /// one-way, averaging over the rows of W_i only, so it does not penalise rows of W_j that no row of W_i picks; the
    /// two-way form does, at twice the matching cost. With a one-to-one matcher (the Hungarian matching) both directions
    /// find the same optimal assignment, up to ties, so the two-way value equals the one-way one; the option matters for
    /// <see cref="MaxCosineMatcher"/>. Default false: the paper's one-way MMCS(W_i → W_j) for i &lt; j.
    /// </summary>
    public bool Symmetric { get; set; }
}
