using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using SparseDictionary.Kernels;
using SparseDictionary.Regularization;

namespace SparseDictionary;

/// <summary>
/// Mutual Feature Regularization's penalty (seed 001, "Enhancing Neural Network Interpretability with Feature-Aligned
/// Sparse Autoencoders", section 3.3): several SAEs trained together on the same batches are pulled toward learning
/// the same decoder directions.
/// </summary>
/// <remarks>
/// <para>For N SAEs with decoder matrices W_1..W_N (rows = latents' directions):</para>
/// <para>P = alpha_t / C(N, 2) · Σ_{i&lt;j} (1 - MMCS(W_i, W_j)),
/// MMCS(W_i, W_j) = (1/|pairs|) Σ_{(a, b) matched} cos(W_i[a], W_j[b]),</para>
/// <para>where the matcher (<see cref="MutualFeatureOptions.Matcher"/>) pairs each row a of W_i with a row b of W_j:
/// the most similar one with <see cref="MaxCosineMatcher"/> (the paper's max, so MMCS is the mean max cosine
/// similarity), or a one-to-one Hungarian matching (the authors' code; rows left without a partner do not count).
/// alpha_t follows a cosine warm-up, alpha · ½(1 + cos(π (W - t) / W)) for t &lt; W. By default alpha is read as in
/// the authors' code, next to a per-entry mean squared error, and the penalty is weighted alpha · d on the trainer's
/// loss, which sums over the d entries (<see cref="MutualFeatureOptions.ScaleByInputDimension"/>).</para>
/// <para>With <see cref="MutualFeatureOptions.Symmetric"/>, each pair is compared both ways:
/// P = alpha_t / C(N, 2) · Σ_{i&lt;j} (1 - ½ (MMCS(W_i → W_j) + MMCS(W_j → W_i))), where MMCS(W_j → W_i) matches the
/// rows of W_j into W_i with the same matcher; each direction keeps its own partners, refreshed on the same schedule.
/// This two-way form is the library's option, not the paper's formula (section 3.3 averages over the rows of W_i
/// only).</para>
/// <para>The gradient is exact for the chosen pairs (the matching is piecewise constant in the weights):
/// ∂cos(a, b)/∂a = b / (|a| |b|) - cos(a, b) · a / |a|², and symmetrically for b, with
/// ∂P/∂cos(a, b) = -alpha_t · w / (C(N, 2) · |pairs of the direction|), w = 1 (one-way) or ½ (each direction of the
/// two-way form). It is added to the decoder-weight accumulators of both SAEs of each matched pair; the trainer then
/// removes its component along each unit-norm row.</para>
/// <para>The SAEs must have the same input dimension; they may differ in latent count and activation. An instance
/// keeps the matching between steps: give each concurrent training run its own instance.</para>
/// </remarks>
public sealed class MutualFeatureRegularizer : IRegularizer, ICheckpointable
{
    private readonly IFeatureMatcher _matcher;
    private Pair[] _pairs = [];
    private double? _calibratedCoefficient;
    private int _inputDimension;

    /// <summary>Creates the regularizer.</summary>
    /// <param name="options">Coefficient, warm-up, refresh interval, matcher and symmetry; null for the defaults.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is out of range; the message names it, its value and the range (<see cref="MutualFeatureOptionsValidator"/>).</exception>
    public MutualFeatureRegularizer(MutualFeatureOptions? options = null)
    {
        options = OptionsFailures.ThrowIfInvalid(new MutualFeatureOptionsValidator(), options ?? new MutualFeatureOptions());
        Coefficient = options.Coefficient;
        ScaleByInputDimension = options.ScaleByInputDimension;
        CoefficientFromInitialLoss = options.CoefficientFromInitialLoss;
        WarmupSteps = options.WarmupSteps;
        RefreshInterval = options.RefreshInterval;
        Symmetric = options.Symmetric;
        _matcher = options.Matcher ?? MaxCosineMatcher.Instance;
    }

    /// <summary>Creates the regularizer from options bound through Microsoft.Extensions.Options.</summary>
    /// <param name="options">The options accessor.</param>
    public MutualFeatureRegularizer(Microsoft.Extensions.Options.IOptions<MutualFeatureOptions> options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value)
    {
    }

    /// <inheritdoc />
    public string Name => "MFR";

    /// <summary>alpha as configured (see <see cref="EffectiveCoefficient"/> for the weight in use).</summary>
    public float Coefficient { get; }

    /// <summary>Whether alpha is read next to a per-entry mean squared error (the penalty weighted alpha · d).</summary>
    public bool ScaleByInputDimension { get; }

    /// <summary>Whether alpha is set from the first step's reconstruction loss.</summary>
    public bool CoefficientFromInitialLoss { get; }

    /// <summary>W: steps of cosine warm-up.</summary>
    public int WarmupSteps { get; }

    /// <summary>Steps between two matchings (1: every step).</summary>
    public int RefreshInterval { get; }

    /// <summary>The matcher pairing rows across SAEs.</summary>
    public IFeatureMatcher Matcher => _matcher;

    /// <summary>
    /// Whether each pair of SAEs is compared both ways, MMCS_sym(W_i, W_j) = ½ (MMCS(W_i → W_j) + MMCS(W_j → W_i))
    /// (see <see cref="MutualFeatureOptions.Symmetric"/>).
    /// </summary>
    public bool Symmetric { get; }

    /// <summary>
    /// The penalty's weight after warm-up on the trainer's loss: alpha · d (<see cref="ScaleByInputDimension"/>) or
    /// alpha, or the calibrated value once the first step ran with <see cref="CoefficientFromInitialLoss"/>; NaN
    /// before the first step when it depends on the SAEs.
    /// </summary>
    public double EffectiveCoefficient => _calibratedCoefficient ?? ConfiguredWeight;

    /// <summary>
    /// The un-weighted penalty of the last step, (1/C(N, 2)) Σ_{i&lt;j} (1 - MMCS(W_i, W_j)), with the two-way
    /// MMCS_sym when <see cref="Symmetric"/> (NaN before the first step).
    /// </summary>
    public double LastUnweightedPenalty { get; private set; } = double.NaN;

    /// <summary>The mean over pairs of SAEs of MMCS(W_i, W_j) (MMCS_sym when <see cref="Symmetric"/>) at the last step (NaN before the first step).</summary>
    public double LastMeanSimilarity => 1 - LastUnweightedPenalty;

    /// <summary>
    /// Matchings computed so far in the current run (the expensive part; one per pair of SAEs per refresh, two when
    /// <see cref="Symmetric"/>).
    /// </summary>
    public long Matchings { get; private set; }

    /// <summary>alpha · d or alpha, as <see cref="ScaleByInputDimension"/> says (NaN before the first step when d is needed).</summary>
    private double ConfiguredWeight => !ScaleByInputDimension ? Coefficient : _inputDimension > 0 ? Coefficient * (double)_inputDimension : double.NaN;

    /// <summary>The warm-up factor ½(1 + cos(π (W - t) / W)) for t &lt; W, else 1.</summary>
    /// <param name="step">The 0-based step t.</param>
    /// <returns>A factor in [0, 1]; 0 at t = 0 when W &gt; 0.</returns>
    public double WarmupFactor(long step) => step >= WarmupSteps ? 1 : 0.5 * (1 + Math.Cos(Math.PI * (WarmupSteps - step) / WarmupSteps));

    /// <inheritdoc />
    public DeadLatentSelection? DeadLatentSelection => null;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">Fewer than two SAEs, or SAEs of different input dimensions.</exception>
    public void Validate(IReadOnlyList<SparseAutoencoder> saes)
    {
        ArgumentNullException.ThrowIfNull(saes);
        if (saes.Count < 2)
        {
            throw new ArgumentException($"Mutual Feature Regularization compares SAEs trained together; it needs at least 2 but the trainer was given {saes.Count}.", nameof(saes));
        }

        if (saes.Any(s => s.InputDimension != saes[0].InputDimension))
        {
            throw new ArgumentException($"Mutual Feature Regularization compares decoder directions, so the SAEs need one input dimension; they have {string.Join(", ", saes.Select(s => s.InputDimension))}.", nameof(saes));
        }
    }

    /// <inheritdoc />
    public void Reset()
    {
        _pairs = [];
        _calibratedCoefficient = null;
        _inputDimension = 0;
        LastUnweightedPenalty = double.NaN;
        Matchings = 0;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Fewer than two SAEs are being trained.</exception>
    public double Apply(RegularizerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var saes = context.Saes;
        if (saes.Count < 2)
        {
            throw new InvalidOperationException($"Mutual Feature Regularization compares SAEs trained together; it needs at least 2 but the trainer has {saes.Count}.");
        }

        EnsurePairs(saes);
        _inputDimension = saes[0].Model.InputDimension;
        // C(N, 2): the one-way form has one direction per pair of SAEs, the two-way form two, each weighted ½.
        var pairCount = saes.Count * (saes.Count - 1) / 2;
        var sumOfSimilarities = 0.0;
        foreach (var pair in _pairs)
        {
            var first = saes[pair.First];
            var second = saes[pair.Second];
            if (NeedsRefresh(pair, context.Step, first, second))
            {
                _matcher.Match(first.Model.DecoderWeights, second.Model.DecoderWeights, pair.Partners, pair.MatchedCosines);
                ValidatePartners(_matcher, pair);
                pair.RefreshedAtStep = context.Step;
                pair.FirstGeneration = first.ReinitializationCount;
                pair.SecondGeneration = second.ReinitializationCount;
                Matchings++;
            }

            sumOfSimilarities += pair.Weight * pair.Measure(first.Model.DecoderWeightsBuffer, second.Model.DecoderWeightsBuffer, first.Model.InputDimension);
        }

        var unweighted = (pairCount - sumOfSimilarities) / pairCount;
        LastUnweightedPenalty = unweighted;
        if (CoefficientFromInitialLoss && _calibratedCoefficient is null)
        {
            var reconstruction = saes.Sum(s => s.ReconstructionLoss);
            _calibratedCoefficient = unweighted > 0 ? reconstruction / unweighted : ConfiguredWeight;
        }

        var alpha = EffectiveCoefficient * WarmupFactor(context.Step);
        if (alpha == 0)
        {
            return 0;
        }

        // dP/dcos(a, b) = -alpha · w / (C(N, 2) · |pairs|) for every matched pair of a direction of weight w.
        foreach (var pair in _pairs)
        {
            var first = saes[pair.First];
            var second = saes[pair.Second];
            pair.AddGradient(
                (float)(-alpha * pair.Weight / (pairCount * pair.MatchedCount)),
                first.Model.DecoderWeightsBuffer, second.Model.DecoderWeightsBuffer, first.Model.InputDimension,
                first.Gradients.DecoderWeightsBuffer, second.Gradients.DecoderWeightsBuffer);
        }

        return alpha * unweighted;
    }

    /// <inheritdoc />
    /// <remarks>The state: the calibrated coefficient, the input dimension, the matching count, the last penalty, and per
    /// direction its SAEs, weight, partners, the step of its last matching and the SAEs' reinitialisation counts then.</remarks>
    public JsonObject CaptureState()
    {
        var pairs = new JsonArray();
        foreach (var pair in _pairs)
        {
            pairs.Add(new JsonObject
            {
                ["first"] = pair.First,
                ["second"] = pair.Second,
                ["second_latents"] = pair.SecondLatents,
                ["weight"] = pair.Weight,
                ["refreshed_at_step"] = pair.RefreshedAtStep,
                ["first_generation"] = pair.FirstGeneration,
                ["second_generation"] = pair.SecondGeneration,
                ["partners"] = new JsonArray([.. pair.Partners.Select(p => (JsonNode?)p)]),
            });
        }

        return new JsonObject
        {
            ["calibrated_coefficient"] = _calibratedCoefficient,
            ["input_dimension"] = _inputDimension,
            ["matchings"] = Matchings,
            ["last_unweighted_penalty"] = double.IsFinite(LastUnweightedPenalty) ? LastUnweightedPenalty : null,
            ["pairs"] = pairs,
        };
    }

    /// <inheritdoc />
    public void RestoreState(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        try
        {
            var pairs = new List<Pair>();
            foreach (var node in state["pairs"]!.AsArray())
            {
                var entry = node!.AsObject();
                var partners = entry["partners"]!.AsArray().Select(p => p!.GetValue<int>()).ToArray();
                var secondLatents = entry["second_latents"]!.GetValue<int>();
                if (partners.Any(p => p < -1 || p >= secondLatents))
                {
                    throw new InvalidDataException($"An MFR partner in the checkpoint is outside [-1, {secondLatents}).");
                }

                var pair = new Pair(entry["first"]!.GetValue<int>(), entry["second"]!.GetValue<int>(), partners.Length, secondLatents, entry["weight"]!.GetValue<double>())
                {
                    RefreshedAtStep = entry["refreshed_at_step"]!.GetValue<long>(),
                    FirstGeneration = entry["first_generation"]!.GetValue<int>(),
                    SecondGeneration = entry["second_generation"]!.GetValue<int>(),
                };
                partners.CopyTo(pair.Partners, 0);
                pairs.Add(pair);
            }

            _pairs = [.. pairs];
            _calibratedCoefficient = state["calibrated_coefficient"]?.GetValue<double>();
            _inputDimension = state["input_dimension"]!.GetValue<int>();
            Matchings = state["matchings"]!.GetValue<long>();
            LastUnweightedPenalty = state["last_unweighted_penalty"]?.GetValue<double>() ?? double.NaN;
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"The MFR state in the checkpoint is malformed: {e.Message}", e);
        }
    }

    private bool NeedsRefresh(Pair pair, long step, SaeStepContext first, SaeStepContext second) =>
        pair.RefreshedAtStep < 0
        || step < pair.RefreshedAtStep
        || step - pair.RefreshedAtStep >= RefreshInterval
        || pair.FirstGeneration != first.ReinitializationCount
        || pair.SecondGeneration != second.ReinitializationCount;

    private void EnsurePairs(IReadOnlyList<SaeStepContext> saes)
    {
        var n = saes.Count;
        var directions = Symmetric ? 2 : 1;
        var fits = _pairs.Length == directions * n * (n - 1) / 2
            && _pairs.All(p => p.Partners.Length == saes[p.First].Model.LatentCount && p.SecondLatents == saes[p.Second].Model.LatentCount);
        if (fits)
        {
            return;
        }

        var pairs = new List<Pair>();
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                if (Symmetric)
                {
                    pairs.Add(new Pair(i, j, saes[i].Model.LatentCount, saes[j].Model.LatentCount, 0.5));
                    pairs.Add(new Pair(j, i, saes[j].Model.LatentCount, saes[i].Model.LatentCount, 0.5));
                }
                else
                {
                    pairs.Add(new Pair(i, j, saes[i].Model.LatentCount, saes[j].Model.LatentCount, 1));
                }
            }
        }

        _pairs = [.. pairs];
    }

    /// <summary>
    /// One direction: the rows of SAE <see cref="First"/> matched into SAE <see cref="Second"/> (First &lt; Second in
    /// the one-way form; both orders in the two-way form), its weight in the pair's MMCS, and per-row cosines of the
    /// current step.
    /// </summary>
    private sealed class Pair(int first, int second, int firstLatents, int secondLatents, double weight)
    {
        public int First { get; } = first;

        public int Second { get; } = second;

        /// <summary>1 for the one-way MMCS; ½ for each direction of the two-way MMCS_sym.</summary>
        public double Weight { get; } = weight;

        public int SecondLatents { get; } = secondLatents;

        public int[] Partners { get; } = new int[firstLatents];

        /// <summary>The matcher's cosines at matching time (the penalty recomputes the cosines from the current weights at every step).</summary>
        public float[] MatchedCosines { get; } = new float[firstLatents];

        public long RefreshedAtStep { get; set; } = -1;

        public int FirstGeneration { get; set; }

        public int SecondGeneration { get; set; }

        public int MatchedCount { get; private set; }

        private readonly float[] _cosines = new float[firstLatents];
        private readonly float[] _firstNorms = new float[firstLatents];
        private readonly float[] _secondNorms = new float[secondLatents];

        /// <summary>Σ over matched rows of cos(a, partner(a)) / (number matched), from the current weights; caches the norms and cosines for the gradient.</summary>
        public double Measure(ReadOnlyMemory<float> firstWeights, ReadOnlyMemory<float> secondWeights, int d)
        {
            ParallelRows.For(_secondNorms.Length, (start, end) =>
            {
                var second = secondWeights.Span;
                for (var b = start; b < end; b++)
                {
                    _secondNorms[b] = TensorPrimitives.Norm(second.Slice(b * d, d));
                }
            });
            ParallelRows.For(Partners.Length, (start, end) =>
            {
                var first = firstWeights.Span;
                var second = secondWeights.Span;
                for (var a = start; a < end; a++)
                {
                    var rowA = first.Slice(a * d, d);
                    _firstNorms[a] = TensorPrimitives.Norm(rowA);
                    var b = Partners[a];
                    var denominator = _firstNorms[a] * (b < 0 ? 0 : _secondNorms[b]);
                    _cosines[a] = denominator > 0 ? TensorPrimitives.Dot(rowA, second.Slice(b * d, d)) / denominator : 0;
                }
            });

            var sum = 0.0;
            var matched = 0;
            for (var a = 0; a < Partners.Length; a++)
            {
                if (Partners[a] >= 0)
                {
                    sum += _cosines[a];
                    matched++;
                }
            }

            MatchedCount = matched;
            return matched == 0 ? 0 : sum / matched;
        }

        /// <summary>
        /// Adds scale · ∂cos(a, b)/∂a to row a of <paramref name="firstGradient"/> and scale · ∂cos(a, b)/∂b to row b of
        /// <paramref name="secondGradient"/> for every matched pair (zero rows get nothing).
        /// </summary>
        public void AddGradient(float scale, ReadOnlyMemory<float> firstWeights, ReadOnlyMemory<float> secondWeights, int d, Memory<float> firstGradient, Memory<float> secondGradient)
        {
            // Rows of the first SAE are distinct: in parallel.
            ParallelRows.For(Partners.Length, (start, end) =>
            {
                var first = firstWeights.Span;
                var second = secondWeights.Span;
                var firstGrad = firstGradient.Span;
                for (var a = start; a < end; a++)
                {
                    var b = Partners[a];
                    if (b < 0 || _firstNorms[a] == 0 || _secondNorms[b] == 0)
                    {
                        continue;
                    }

                    // scale · (b / (|a||b|) - cos · a / |a|²)
                    var g = firstGrad.Slice(a * d, d);
                    TensorPrimitives.MultiplyAdd(second.Slice(b * d, d), scale / (_firstNorms[a] * _secondNorms[b]), g, g);
                    TensorPrimitives.MultiplyAdd(first.Slice(a * d, d), -scale * _cosines[a] / (_firstNorms[a] * _firstNorms[a]), g, g);
                }
            });

            // Several rows of the first SAE may share a partner: in row order on one thread (deterministic).
            var firstRows = firstWeights.Span;
            var secondRows = secondWeights.Span;
            var secondGrad = secondGradient.Span;
            for (var a = 0; a < Partners.Length; a++)
            {
                var b = Partners[a];
                if (b < 0 || _firstNorms[a] == 0 || _secondNorms[b] == 0)
                {
                    continue;
                }

                var g = secondGrad.Slice(b * d, d);
                TensorPrimitives.MultiplyAdd(firstRows.Slice(a * d, d), scale / (_firstNorms[a] * _secondNorms[b]), g, g);
                TensorPrimitives.MultiplyAdd(secondRows.Slice(b * d, d), -scale * _cosines[a] / (_secondNorms[b] * _secondNorms[b]), g, g);
            }
        }
    }

    /// <summary>
    /// Throws unless every partner the matcher wrote is -1 (no partner) or a row of the second SAE, the
    /// <see cref="IFeatureMatcher"/> contract; the pair is then marked unmatched so that it is matched again before use.
    /// </summary>
    /// <exception cref="InvalidOperationException">A partner is out of range; the message names the matcher, the row and the value.</exception>
    private static void ValidatePartners(IFeatureMatcher matcher, Pair pair)
    {
        var partners = pair.Partners;
        for (var a = 0; a < partners.Length; a++)
        {
            var b = partners[a];
            if (b < -1 || b >= pair.SecondLatents)
            {
                pair.RefreshedAtStep = -1;
                throw new InvalidOperationException(string.Create(
                    System.Globalization.CultureInfo.InvariantCulture,
                    $"The feature matcher {matcher.Name} gave row {a} of SAE {pair.First} the partner {b} in SAE {pair.Second}; expected -1 (no partner) or a row in [0, {pair.SecondLatents})."));
            }
        }
    }
}
