using SparseDictionary.Regularization;
using SparseDictionary.Tests.Support;
using SparseDictionary.Metrics;

namespace SparseDictionary.Tests.Regularization;

public class MutualFeatureRegularizerTests
{
    private const int D = 6;
    private const int Rows = 5;

    public static TheoryData<string> Matchers => ["max-cosine", "hungarian"];

    [Theory]
    [InlineData("max-cosine", 0.1)]
    [InlineData("hungarian", 0.2)]
    public void Penalty_MatchesTheFormulaOnAHandCase(string matcher, double expectedUnweighted)
    {
        // W_1 rows e1 and (0.8, 0.6); W_2 rows e1 and e2. Max cosine pairs both rows of W_1 with e1:
        // MMCS = (1 + 0.8) / 2 = 0.9. One-to-one: e1-e1 and (0.8, 0.6)-e2: MMCS = (1 + 0.6) / 2 = 0.8.
        // P = alpha / C(2, 2) · (1 - MMCS) with alpha = 3.
        var first = new SparseAutoencoder(2, 2, new TopKActivation(1), seed: 1);
        var second = new SparseAutoencoder(2, 2, new TopKActivation(1), seed: 2);
        new float[] { 1, 0, 0.8f, 0.6f }.CopyTo(first.DecoderWeights.Span);
        new float[] { 1, 0, 0, 1 }.CopyTo(second.DecoderWeights.Span);
        var mfr = new MutualFeatureRegularizer(new MutualFeatureOptions { Coefficient = 3, ScaleByInputDimension = false, WarmupSteps = 0, Matcher = Matcher(matcher) });
        var batch = TestData.GaussianMatrix(4, 2, 1);

        var (with, _) = Trainer(4, mfr).ComputeGradients([first, second], batch);
        var (without, _) = Trainer(4).ComputeGradients([first, second], batch);

        mfr.LastUnweightedPenalty.Should().BeApproximately(expectedUnweighted, 1e-6);
        mfr.LastMeanSimilarity.Should().BeApproximately(1 - expectedUnweighted, 1e-6);
        (with - without).Should().BeApproximately(3 * expectedUnweighted, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Matchers))]
    public void Gradient_MatchesFiniteDifferencesOfThePenalty(string matcher)
    {
        // Three SAEs of 5, 7 and 4 latents with decoder rows of arbitrary norms, so every term of
        // ∂cos(a, b)/∂a = b / (|a||b|) - cos · a / |a|² carries signal; the Hungarian matcher leaves a row unmatched
        // in the pairs (0, 2) and (1, 2). The penalty's gradient is the difference between the trainer's decoder
        // gradients with and without the regularizer (the other gradients must not change).
        // Tolerance: the reference is evaluated in double with step 1e-6 on a smooth function (fd error ~1e-9); the
        // analytic gradient is a difference of two float gradients of magnitude below 10, accurate to ~1e-5.
        const float alpha = 1.3f;
        var saes = new[] { 5, 7, 4 }.Select((h, i) => RandomSae(h, 10 + i)).ToArray();
        var batch = TestData.GaussianMatrix(Rows, D, 7);
        var mfr = new MutualFeatureRegularizer(new MutualFeatureOptions { Coefficient = alpha, ScaleByInputDimension = false, WarmupSteps = 0, Matcher = Matcher(matcher) });
        var (with, gradientsWith) = Trainer(Rows, mfr).ComputeGradients(saes, batch);
        var (without, gradientsWithout) = Trainer(Rows).ComputeGradients(saes, batch);

        var reference = new ReferencePenalty(saes, Matcher(matcher), alpha);
        (with - without).Should().BeApproximately(reference.Evaluate(), 1e-5);
        reference.UnmatchedRows.Should().Be(matcher == "hungarian" ? 4 : 0);

        for (var s = 0; s < saes.Length; s++)
        {
            gradientsWith[s].EncoderWeights.Span.ToArray().Should().Equal(gradientsWithout[s].EncoderWeights.Span.ToArray(), "MFR acts on decoders only");
            var decoder = saes[s].DecoderWeights.Span.ToArray();
            for (var e = 0; e < decoder.Length; e++)
            {
                const double step = 1e-6;
                var fd = (reference.Evaluate(s, e, step) - reference.Evaluate(s, e, -step)) / (2 * step);
                var analytic = (double)gradientsWith[s].DecoderWeights.Span[e] - gradientsWithout[s].DecoderWeights.Span[e];
                analytic.Should().BeApproximately(fd, 2e-4 * (1 + Math.Abs(fd)), $"d P / d W_dec[{s}][{e}]");
            }
        }
    }

    [Theory]
    [InlineData("max-cosine", 0.15)]
    [InlineData("hungarian", 0.2)]
    public void SymmetricPenalty_MatchesTheFormulaOnAHandCase(string matcher, double expectedUnweighted)
    {
        // The hand case above, both ways. Max cosine: W_1 -> W_2 gives (1 + 0.8) / 2 = 0.9; W_2 -> W_1 pairs e1 with e1
        // (1) and e2 with (0.8, 0.6) (0.6): 0.8. MMCS_sym = 0.85, penalty 1 - 0.85 = 0.15. One-to-one: 0.8 both ways.
        var first = new SparseAutoencoder(2, 2, new TopKActivation(1), seed: 1);
        var second = new SparseAutoencoder(2, 2, new TopKActivation(1), seed: 2);
        new float[] { 1, 0, 0.8f, 0.6f }.CopyTo(first.DecoderWeights.Span);
        new float[] { 1, 0, 0, 1 }.CopyTo(second.DecoderWeights.Span);
        var mfr = new MutualFeatureRegularizer(new MutualFeatureOptions { Coefficient = 3, ScaleByInputDimension = false, WarmupSteps = 0, Matcher = Matcher(matcher), Symmetric = true });
        mfr.Symmetric.Should().BeTrue();
        var batch = TestData.GaussianMatrix(4, 2, 1);

        var (with, _) = Trainer(4, mfr).ComputeGradients([first, second], batch);
        var (without, _) = Trainer(4).ComputeGradients([first, second], batch);

        mfr.LastUnweightedPenalty.Should().BeApproximately(expectedUnweighted, 1e-6);
        (with - without).Should().BeApproximately(3 * expectedUnweighted, 1e-5);
        mfr.Matchings.Should().Be(2, "one matching per direction");
    }

    [Theory]
    [MemberData(nameof(Matchers))]
    public void SymmetricPenalty_IsTheMeanOfTheTwoOneWayPenalties(string matcher)
    {
        // Two SAEs of 5 and 8 latents: MMCS_sym(W_1, W_2) = ½ (MMCS(W_1 -> W_2) + MMCS(W_2 -> W_1)), the one-way
        // values measured by one-way regularizers given the SAEs in both orders. Their gradients average likewise
        // (with the Hungarian matcher the two directions coincide, so the two-way form equals the one-way one).
        var saes = new[] { RandomSae(5, 21), RandomSae(8, 22) };
        var batch = TestData.GaussianMatrix(Rows, D, 5);
        MutualFeatureRegularizer Mfr(bool symmetric) => new(new MutualFeatureOptions { Coefficient = 2, ScaleByInputDimension = false, WarmupSteps = 0, Matcher = Matcher(matcher), Symmetric = symmetric });
        var symmetric = Mfr(true);
        var forward = Mfr(false);
        var backward = Mfr(false);
        var (_, gradientsSymmetric) = Trainer(Rows, symmetric).ComputeGradients(saes, batch);
        var (_, gradientsForward) = Trainer(Rows, forward).ComputeGradients(saes, batch);
        var (_, gradientsBackward) = Trainer(Rows, backward).ComputeGradients([saes[1], saes[0]], batch);
        var (_, gradientsWithout) = Trainer(Rows).ComputeGradients(saes, batch);

        if (matcher == "max-cosine")
        {
            forward.LastUnweightedPenalty.Should().NotBe(backward.LastUnweightedPenalty, "the one-way max is not symmetric");
        }
        else
        {
            // One-to-one: both directions find the same optimal assignment (no ties here), averaged over the same 5 pairs.
            forward.LastUnweightedPenalty.Should().BeApproximately(backward.LastUnweightedPenalty, 1e-6);
        }

        symmetric.LastUnweightedPenalty.Should().BeApproximately(0.5 * (forward.LastUnweightedPenalty + backward.LastUnweightedPenalty), 1e-12);
        for (var s = 0; s < 2; s++)
        {
            var without = gradientsWithout[s].DecoderWeights.Span.ToArray();
            var sym = gradientsSymmetric[s].DecoderWeights.Span.ToArray();
            var fwd = gradientsForward[s].DecoderWeights.Span.ToArray();
            var bwd = gradientsBackward[1 - s].DecoderWeights.Span.ToArray();
            for (var e = 0; e < sym.Length; e++)
            {
                // Float gradients of magnitude below 10, each accurate to ~1e-6 relative.
                ((double)sym[e] - without[e]).Should().BeApproximately(0.5 * (((double)fwd[e] - without[e]) + ((double)bwd[e] - without[e])), 1e-5, $"d P / d W_dec[{s}][{e}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Matchers))]
    public void SymmetricGradient_MatchesFiniteDifferencesOfThePenalty(string matcher)
    {
        // As Gradient_MatchesFiniteDifferencesOfThePenalty, with P = alpha / C(3, 2) · Σ_{i<j} (1 - ½ (MMCS(W_i -> W_j)
        // + MMCS(W_j -> W_i))) in double, partners fixed at the start point in both directions. The Hungarian matcher
        // leaves rows unmatched in the directions 0 -> 2 (1 row), 1 -> 2 (3) and 1 -> 0 (2). Same tolerance.
        const float alpha = 1.3f;
        var saes = new[] { 5, 7, 4 }.Select((h, i) => RandomSae(h, 10 + i)).ToArray();
        var batch = TestData.GaussianMatrix(Rows, D, 7);
        var mfr = new MutualFeatureRegularizer(new MutualFeatureOptions { Coefficient = alpha, ScaleByInputDimension = false, WarmupSteps = 0, Matcher = Matcher(matcher), Symmetric = true });
        var (with, gradientsWith) = Trainer(Rows, mfr).ComputeGradients(saes, batch);
        var (without, gradientsWithout) = Trainer(Rows).ComputeGradients(saes, batch);

        var reference = new ReferencePenalty(saes, Matcher(matcher), alpha, symmetric: true);
        (with - without).Should().BeApproximately(reference.Evaluate(), 1e-5);
        reference.UnmatchedRows.Should().Be(matcher == "hungarian" ? 6 : 0);
        mfr.Matchings.Should().Be(6, "two directions for each of the 3 pairs");

        for (var s = 0; s < saes.Length; s++)
        {
            gradientsWith[s].EncoderWeights.Span.ToArray().Should().Equal(gradientsWithout[s].EncoderWeights.Span.ToArray(), "MFR acts on decoders only");
            var decoder = saes[s].DecoderWeights.Span.ToArray();
            for (var e = 0; e < decoder.Length; e++)
            {
                const double step = 1e-6;
                var fd = (reference.Evaluate(s, e, step) - reference.Evaluate(s, e, -step)) / (2 * step);
                var analytic = (double)gradientsWith[s].DecoderWeights.Span[e] - gradientsWithout[s].DecoderWeights.Span[e];
                analytic.Should().BeApproximately(fd, 2e-4 * (1 + Math.Abs(fd)), $"d P / d W_dec[{s}][{e}]");
            }
        }
    }

    [Fact]
    public void DefaultScale_WeighsThePenaltyByAlphaTimesD()
    {
        // The hand case of Penalty_MatchesTheFormulaOnAHandCase (d = 2, max cosine: un-weighted penalty 0.1) with the
        // default scale: alpha = 3 next to a per-entry mean squared error is 3 · d = 6 on the summed loss.
        var first = new SparseAutoencoder(2, 2, new TopKActivation(1), seed: 1);
        var second = new SparseAutoencoder(2, 2, new TopKActivation(1), seed: 2);
        new float[] { 1, 0, 0.8f, 0.6f }.CopyTo(first.DecoderWeights.Span);
        new float[] { 1, 0, 0, 1 }.CopyTo(second.DecoderWeights.Span);
        var mfr = new MutualFeatureRegularizer(new MutualFeatureOptions { Coefficient = 3, WarmupSteps = 0 });
        mfr.EffectiveCoefficient.Should().Be(double.NaN, "d is known once the SAEs are seen");
        var batch = TestData.GaussianMatrix(4, 2, 1);

        var (with, _) = Trainer(4, mfr).ComputeGradients([first, second], batch);
        var (without, _) = Trainer(4).ComputeGradients([first, second], batch);

        mfr.EffectiveCoefficient.Should().Be(6);
        (with - without).Should().BeApproximately(6 * 0.1, 1e-5);
    }

    [Fact]
    public void WarmupFactor_FollowsTheCosineSchedule()
    {
        var mfr = new MutualFeatureRegularizer(new MutualFeatureOptions { WarmupSteps = 100 });
        mfr.WarmupFactor(0).Should().Be(0);
        mfr.WarmupFactor(25).Should().BeApproximately(0.5 * (1 - (Math.Sqrt(2) / 2)), 1e-12);
        mfr.WarmupFactor(50).Should().BeApproximately(0.5, 1e-12);
        mfr.WarmupFactor(99).Should().BeApproximately(0.5 * (1 + Math.Cos(Math.PI / 100)), 1e-12);
        mfr.WarmupFactor(100).Should().Be(1);
        mfr.WarmupFactor(5000).Should().Be(1);
        new MutualFeatureRegularizer(new MutualFeatureOptions { WarmupSteps = 0 }).WarmupFactor(0).Should().Be(1);
    }

    [Fact]
    public void CoefficientFromInitialLoss_MakesThePenaltyEqualTheReconstructionLoss()
    {
        var saes = new[] { RandomSae(5, 1), RandomSae(8, 2) };
        var batch = TestData.GaussianMatrix(Rows, D, 3);
        var mfr = new MutualFeatureRegularizer(new MutualFeatureOptions { CoefficientFromInitialLoss = true, Coefficient = 3, WarmupSteps = 0 });
        var (with, _) = Trainer(Rows, mfr).ComputeGradients(saes, batch);
        var (reconstruction, _) = Trainer(Rows).ComputeGradients(saes, batch);

        (with - reconstruction).Should().BeApproximately(reconstruction, 1e-6 * reconstruction);
        mfr.EffectiveCoefficient.Should().BeApproximately(reconstruction / mfr.LastUnweightedPenalty, 1e-9 * mfr.EffectiveCoefficient);
    }

    [Fact]
    public void Training_PullsTheSaesTowardTheSameFeatures()
    {
        // Two SAEs on the same batches, with and without the penalty (40 steps of 1024 samples). Measured on this code:
        // the MMCS between the two decoders ends at 0.477 without MFR, 0.499 with alpha = 3 and 0.727 with alpha = 30.
        // (The reconstruction loss here sums over d = 64 inputs and is about 45 per row, so alpha = 30 is still a light
        // penalty next to it.)
        var (withoutMfr, _) = TrainPair(null);
        var (withMfr, mfr) = TrainPair(new MutualFeatureOptions { Coefficient = 30, ScaleByInputDimension = false, WarmupSteps = 10 });
        var similarityWithout = FeatureSimilarity.MeanMaxCosine(withoutMfr[0].DecoderWeights, withoutMfr[1].DecoderWeights);
        var similarityWith = FeatureSimilarity.MeanMaxCosine(withMfr[0].DecoderWeights, withMfr[1].DecoderWeights);

        similarityWith.Should().BeGreaterThan(similarityWithout + 0.15);
        mfr!.Matchings.Should().Be(40, "exact matching runs once per pair per step");
    }

    [Fact]
    public void RefreshedMatching_EndsCloseToExactMatching()
    {
        // Reusing partners for 10 steps ends within 0.02 of the exact un-weighted penalty, at a tenth of the matchings.
        // Measured on this code: 0.2787 refreshed against 0.2736 exact (a difference of 0.005) after 40 steps, while
        // the penalty fell from about 0.67 (at step 5): the tolerance is 4x the measured gap and 5% of the decrease.
        var (_, exact) = TrainPair(new MutualFeatureOptions { Coefficient = 30, ScaleByInputDimension = false, WarmupSteps = 10 });
        var (_, refreshed) = TrainPair(new MutualFeatureOptions { Coefficient = 30, ScaleByInputDimension = false, WarmupSteps = 10, RefreshInterval = 10 });

        refreshed!.Matchings.Should().Be(4);
        refreshed.LastUnweightedPenalty.Should().BeApproximately(exact!.LastUnweightedPenalty, 0.02);
    }

    [Fact]
    public void Reinitialization_ForcesANewMatching()
    {
        // Both SAEs are reinitialised after steps 0 and 1 (threshold 0), so the matching must be redone at steps 1
        // and 2 although the refresh interval is longer than the run.
        var mfr = new MutualFeatureRegularizer(new MutualFeatureOptions { RefreshInterval = 1000, WarmupSteps = 0 });
        var options = TrainingOptions(10 * 1024);
        options.Reinitialization = new ReinitializationOptions { Steps = 2, Threshold = 0 };
        var result = new SaeTrainer(options, [mfr]).Train([Small(1), Small(2)], SmallSource());

        result.Reinitializations.Should().HaveCount(4);
        mfr.Matchings.Should().Be(3);
    }

    [Fact]
    public void Symmetric_RefreshesBothDirectionsOnTheSameSchedule()
    {
        // 10 steps with a refresh every 4 steps (steps 0, 4, 8): 3 refreshes of 2 directions.
        var mfr = new MutualFeatureRegularizer(new MutualFeatureOptions { RefreshInterval = 4, WarmupSteps = 0, Symmetric = true });
        new SaeTrainer(TrainingOptions(10 * 1024), [mfr]).Train([Small(1), Small(2)], SmallSource());
        mfr.Matchings.Should().Be(6);
        mfr.LastUnweightedPenalty.Should().BeInRange(0, 2);
    }

    [Fact]
    public void FewerThanTwoSaes_Throws()
    {
        var mfr = new MutualFeatureRegularizer();
        var act = () => Trainer(Rows, mfr).ComputeGradients([RandomSae(5, 1)], TestData.GaussianMatrix(Rows, D, 1));
        act.Should().Throw<ArgumentException>().WithMessage("*at least 2*given 1*");
    }

    [Fact]
    public void BadOptions_AreRejectedWithTheValue()
    {
        ((Action)(() => _ = new MutualFeatureRegularizer(new MutualFeatureOptions { Coefficient = -1 }))).Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*MutualFeatureOptions.Coefficient*-1*");
        ((Action)(() => _ = new MutualFeatureRegularizer(new MutualFeatureOptions { Coefficient = float.NaN }))).Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*MutualFeatureOptions.Coefficient*NaN*");
        ((Action)(() => _ = new MutualFeatureRegularizer(new MutualFeatureOptions { WarmupSteps = -1 }))).Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*MutualFeatureOptions.WarmupSteps*-1*");
        ((Action)(() => _ = new MutualFeatureRegularizer(new MutualFeatureOptions { RefreshInterval = 0 }))).Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*MutualFeatureOptions.RefreshInterval*0*");
    }

    [Fact]
    public void HungarianMatcher_IsOneToOneAndMaximisesTheTotalCosine()
    {
        var first = TestData.GaussianMatrix(6, 4, 1);
        var second = TestData.GaussianMatrix(4, 4, 2);
        var partners = new int[6];
        var cosines = new float[6];
        new HungarianFeatureMatcher().Match(first, second, partners, cosines);

        partners.Count(p => p < 0).Should().Be(2);
        partners.Where(p => p >= 0).Should().OnlyHaveUniqueItems();
        var best = MatchedSimilarity.Match(first, second);
        cosines.Sum().Should().BeApproximately(best.Cosines.Sum(), 1e-5f);
        for (var a = 0; a < 6; a++)
        {
            if (partners[a] >= 0)
            {
                cosines[a].Should().BeApproximately((float)Cosine(first.Row(a), second.Row(partners[a])), 1e-5f);
            }
        }
    }

    [Fact]
    public void MaxCosineMatcher_FindsEachRowsMostSimilarRow()
    {
        var first = TestData.GaussianMatrix(300, 5, 3);
        var second = TestData.GaussianMatrix(40, 5, 4, scale: 3);
        var partners = new int[300];
        var cosines = new float[300];
        MaxCosineMatcher.Instance.Match(first, second, partners, cosines);
        for (var a = 0; a < 300; a++)
        {
            var all = Enumerable.Range(0, 40).Select(b => Cosine(first.Row(a), second.Row(b))).ToArray();
            var best = Array.IndexOf(all, all.Max());
            partners[a].Should().Be(best);
            cosines[a].Should().BeApproximately((float)all[best], 1e-5f);
        }
    }

    private static IFeatureMatcher Matcher(string name) => name == "hungarian" ? new HungarianFeatureMatcher() : MaxCosineMatcher.Instance;

    private static SaeTrainer Trainer(int rows, params IRegularizer[] regularizers) =>
        new(new SaeTrainerOptions { BatchSize = rows, TotalTokens = rows, DecoderBiasInitialization = DecoderBiasInitialization.None }, regularizers);

    private static SparseAutoencoder RandomSae(int latents, int seed)
    {
        var sae = new SparseAutoencoder(D, latents, new TopKActivation(2), seed: seed);
        TestData.Gaussian(latents * D, seed + 100, 0.8f).CopyTo(sae.DecoderWeights.Span);
        TestData.Gaussian(latents * D, seed + 200, 0.8f).CopyTo(sae.EncoderWeights.Span);
        return sae;
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        ReferencePenalty.Cosine(a.ToArray().Select(v => (double)v).ToArray(), b.ToArray().Select(v => (double)v).ToArray());

    private static SyntheticFeatureSource SmallSource() => new(new SyntheticFeatureOptions { InputDimension = 64, FeatureCount = 128, GroupCount = 4, ActiveFeatures = 5, Seed = 1 });

    private static SparseAutoencoder Small(int seed) => new(64, 128, new TopKActivation(5), seed: seed);

    private static SaeTrainerOptions TrainingOptions(long tokens) => new() { LearningRate = 5e-3f, BatchSize = 1024, TotalTokens = tokens };

    private static (SparseAutoencoder[] Saes, MutualFeatureRegularizer? Mfr) TrainPair(MutualFeatureOptions? options)
    {
        SparseAutoencoder[] saes = [Small(1), Small(2)];
        var mfr = options is null ? null : new MutualFeatureRegularizer(options);
        new SaeTrainer(TrainingOptions(40 * 1024), mfr is null ? [] : [mfr]).Train(saes, SmallSource());
        return (saes, mfr);
    }

    /// <summary>The penalty in double with the partners fixed at the start point (the matcher's choice there).</summary>
    private sealed class ReferencePenalty
    {
        private readonly double[][] _decoders;
        private readonly int[] _latents;
        private readonly List<(int First, int Second, int[] Partners)> _pairs = [];
        private readonly double _alpha;

        private readonly double _directionWeight;
        private readonly int _pairsOfSaes;

        /// <param name="saes">The SAEs.</param>
        /// <param name="matcher">The matcher, run once here.</param>
        /// <param name="alpha">alpha.</param>
        /// <param name="symmetric">When true, each pair is matched both ways and each direction weighs ½.</param>
        public ReferencePenalty(SparseAutoencoder[] saes, IFeatureMatcher matcher, double alpha, bool symmetric = false)
        {
            _alpha = alpha;
            _directionWeight = symmetric ? 0.5 : 1;
            _pairsOfSaes = saes.Length * (saes.Length - 1) / 2;
            _decoders = saes.Select(s => s.DecoderWeights.Span.ToArray().Select(v => (double)v).ToArray()).ToArray();
            _latents = saes.Select(s => s.LatentCount).ToArray();
            for (var i = 0; i < saes.Length; i++)
            {
                for (var j = i + 1; j < saes.Length; j++)
                {
                    AddDirection(i, j);
                    if (symmetric)
                    {
                        AddDirection(j, i);
                    }
                }
            }

            void AddDirection(int from, int to)
            {
                var partners = new int[_latents[from]];
                matcher.Match(saes[from].DecoderWeights, saes[to].DecoderWeights, partners, new float[_latents[from]]);
                _pairs.Add((from, to, partners));
                UnmatchedRows += partners.Count(p => p < 0);
            }
        }

        public int UnmatchedRows { get; private set; }

        public double Evaluate(int sae = -1, int entry = 0, double offset = 0)
        {
            var decoders = _decoders.Select(w => (double[])w.Clone()).ToArray();
            if (sae >= 0)
            {
                decoders[sae][entry] += offset;
            }

            var sum = 0.0;
            foreach (var (first, second, partners) in _pairs)
            {
                var cosines = Enumerable.Range(0, partners.Length).Where(a => partners[a] >= 0)
                    .Select(a => Cosine(decoders[first].AsSpan(a * D, D), decoders[second].AsSpan(partners[a] * D, D))).ToArray();
                sum += _directionWeight * (1 - cosines.Average());
            }

            return _alpha * sum / _pairsOfSaes;
        }

        public static double Cosine(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
        {
            double dot = 0, na = 0, nb = 0;
            for (var c = 0; c < a.Length; c++)
            {
                dot += a[c] * b[c];
                na += a[c] * a[c];
                nb += b[c] * b[c];
            }

            return dot / Math.Sqrt(na * nb);
        }
    }
}
