using System.Text.Json;

namespace SparseDictionary.Metrics.Tests.Evaluation;

public class SaeEvaluationTests
{
    private static SyntheticFeatureSource Source() => new(new SyntheticFeatureOptions
    {
        InputDimension = 16, FeatureCount = 24, GroupCount = 3, ActiveFeatures = 3, Seed = 2, Length = 1000,
    });

    private static SparseAutoencoder[] Saes() =>
        [new(16, 32, new TopKActivation(3), seed: 1), new(16, 24, new TopKActivation(4), seed: 2)];

    [Fact]
    public void Evaluate_ReportsTheSameValuesAsTheDirectFunctions()
    {
        var source = Source();
        var saes = Saes();
        var report = SaeEvaluation.Evaluate(saes, source, new EvaluationOptions { GroundTruth = source.GroundTruthFeatures, BatchSize = 300 });

        report.Rows.Should().Be(1000);
        report.SaeNames.Should().Equal("sae0", "sae1");
        for (var i = 0; i < 2; i++)
        {
            var direct = ReconstructionEvaluation.Evaluate(saes[i], source, 300);
            report[i, "fvu"].Should().Be(direct.FractionOfVarianceUnexplained);
            report[i, "l0"].Should().Be(direct.MeanL0);
            report[i, "effective_rank"].Should().Be(DiversityMetrics.EffectiveRank(saes[i].DecoderWeights));
            report[i, "gt_mmcs"].Should().Be(FeatureSimilarity.MeanMaxCosine(source.GroundTruthFeatures, saes[i].DecoderWeights));
            report[i, "gt_matched"].Should().Be(MatchedSimilarity.MatchedMeanCosine(source.GroundTruthFeatures, saes[i].DecoderWeights));
            report[i, "coverage@0.9"].Should().BeNull("no feature bank was given");
            report[i, "inactivity_dev"].Should().Be(SparsityMetrics.InactivityDeviation([.. direct.FiringFrequencies], i == 0 ? 3 : 4));
            report.FiringHistogram(i).Should().BeEquivalentTo(SparsityMetrics.FiringHistogram([.. direct.FiringFrequencies]));
        }

        report[0, "cross_mmcs"].Should().Be(FeatureSimilarity.MeanMaxCosine(saes[0].DecoderWeights, saes[1].DecoderWeights));
        report[1, "cross_gt_corr"].Should().Be(SimilarityCorrelation.CrossSaeVersusGroundTruth(saes[1].DecoderWeights, saes[0].DecoderWeights, source.GroundTruthFeatures));
    }

    [Fact]
    public void Report_RendersAsTextMarkdownAndJson()
    {
        var source = Source();
        var custom = new DelegateMetric("latents", c => c.Sae.LatentCount);
        var report = SaeEvaluation.Evaluate(Saes(), source, new EvaluationOptions { Names = ["small", "tiny"] }, [StandardMetrics.MeanL0, custom, StandardMetrics.GroundTruthMmcs]);

        var lines = report.ToText().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().MatchRegex(@"^sae\s+l0\s+latents\s+gt_mmcs$");
        lines[2].Should().MatchRegex(@"^small\s+3\s+32\s+n/a$");

        report.ToMarkdown().Should().StartWith("| sae | l0 | latents | gt_mmcs |\n|---|---:|---:|---:|\n| small | 3 | 32 | n/a |\n");

        using var json = JsonDocument.Parse(report.ToJson());
        json.RootElement.GetProperty("rows").GetInt64().Should().Be(1000);
        var tiny = json.RootElement.GetProperty("saes")[1];
        tiny.GetProperty("name").GetString().Should().Be("tiny");
        tiny.GetProperty("metrics").GetProperty("latents").GetDouble().Should().Be(24);
        tiny.GetProperty("metrics").GetProperty("gt_mmcs").ValueKind.Should().Be(JsonValueKind.Null);
        var histogram = tiny.GetProperty("firing_histogram");
        (histogram.GetProperty("counts").EnumerateArray().Sum(c => c.GetInt32()) + histogram.GetProperty("never_fired").GetInt32()).Should().Be(24, "every latent is counted once");
    }

    [Fact]
    public void Evaluate_AMetricThatCannotBeComputed_IsNotAvailableWithItsReason_AndTheOthersAreReported()
    {
        var source = Source();
        var broken = new DelegateMetric("broken", c => c.Index == 1 ? throw new InvalidOperationException("cannot measure SAE 1") : 2.5);
        var notANumber = new DelegateMetric("nan", _ => double.NaN);
        var report = SaeEvaluation.Evaluate(Saes(), source, new EvaluationOptions { Names = ["small", "tiny"] }, [StandardMetrics.MeanL0, broken, notANumber, StandardMetrics.GroundTruthMmcs]);

        report[0, "broken"].Should().Be(2.5);
        report[1, "broken"].Should().Be(double.NaN);
        report[1, "nan"].Should().Be(double.NaN);
        report[1, "l0"].Should().BeGreaterThan(0, "the other metrics are still reported");
        report[1, "gt_mmcs"].Should().BeNull("no ground truth: not applicable, which is not a failure");

        var lines = report.ToText().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[2].Should().MatchRegex(@"^small\s+3\s+2\.5\s+n/a \(the metric returned NaN\)\s+n/a$");
        lines[3].Should().MatchRegex(@"^tiny\s+\S+\s+n/a \(cannot measure SAE 1\)\s+n/a \(the metric returned NaN\)\s+n/a$");
        report.ToMarkdown().Should().MatchRegex(@"\| tiny \| \S+ \| n/a \(cannot measure SAE 1\) \| n/a \(the metric returned NaN\) \| n/a \|");

        using var json = JsonDocument.Parse(report.ToJson());
        var tiny = json.RootElement.GetProperty("saes")[1];
        tiny.GetProperty("metrics").GetProperty("broken").ValueKind.Should().Be(JsonValueKind.Null);
        tiny.GetProperty("unavailable").GetProperty("broken").GetString().Should().Be("cannot measure SAE 1");
        tiny.GetProperty("metrics").GetProperty("l0").GetDouble().Should().Be(report[1, "l0"]);
    }

    [Fact]
    public void Report_GivesTheReasonOfEachUnavailableCell()
    {
        var broken = new DelegateMetric("broken", _ => throw new ArgumentException("a | b\nc"));
        var report = SaeEvaluation.Evaluate(Saes(), Source(), null, [StandardMetrics.MeanL0, broken, StandardMetrics.GroundTruthMmcs]);

        report.Reason(0, "broken").Should().Be("a | b\nc");
        report.Reason(0, "l0").Should().BeNull();
        report.Reason(0, "gt_mmcs").Should().BeNull("not applicable is not a failure");
        report.ToMarkdown().Should().Contain(@"n/a (a \| b c)", "one line, and the pipe cannot end the cell");
        var missing = () => report.Reason(0, "nope");
        missing.Should().Throw<KeyNotFoundException>();
        var badIndex = () => report.Reason(2, "l0");
        badIndex.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Evaluate_IdenticalSaesWithGroundTruth_ReportsTheCorrelationAsNotAvailable()
    {
        // Two copies of one SAE: every cross-SAE max cosine is 1, so the cross-SAE / ground-truth correlation is
        // undefined; it used to abort the whole evaluation.
        var source = Source();
        var sae = Saes()[0];
        var report = SaeEvaluation.Evaluate([sae, sae.Clone()], source, new EvaluationOptions { GroundTruth = source.GroundTruthFeatures });

        for (var i = 0; i < 2; i++)
        {
            report[i, "cross_gt_corr"].Should().Be(double.NaN);
            report.ToText().Should().Contain("n/a (The cross-SAE max cosines are all 1");
            report[i, "cross_mmcs"].Should().BeApproximately(1, 1e-6);
            report[i, "gt_mmcs"].Should().Be(FeatureSimilarity.MeanMaxCosine(source.GroundTruthFeatures, sae.DecoderWeights));
            report[i, "fvu"].Should().BeGreaterThan(0);
        }
    }

    [Fact]
    public void Evaluate_DataOfZeroVariance_ReportsTheFvuAsNotAvailable()
    {
        // Every row the same: the FVU and explained variance are undefined; the other figures are still reported.
        var row = Enumerable.Range(0, 16).Select(i => (float)Math.Sin(i)).ToArray();
        var data = Matrix.Wrap(Enumerable.Repeat(row, 50).SelectMany(r => r).ToArray(), 50, 16);
        var report = SaeEvaluation.Evaluate(Saes(), new InMemoryActivationSource(data, loop: false));

        report[0, "fvu"].Should().Be(double.NaN);
        report[0, "explained_variance"].Should().Be(double.NaN);
        report.ToText().Should().Contain("n/a (the 50 evaluation rows have zero total variance");
        report[0, "mse"].Should().BeGreaterThan(0);
        report[0, "l0"].Should().BeGreaterThan(0);
        report[1, "effective_rank"].Should().BeGreaterThan(1);
    }

    [Fact]
    public void Evaluate_RejectsMisuse_NamingTheProblem()
    {
        var source = Source();
        var noSae = () => SaeEvaluation.Evaluate([], source);
        noSae.Should().Throw<ArgumentException>().WithMessage("*at least one*");
        var repeated = () => SaeEvaluation.Evaluate(Saes(), source, null, [StandardMetrics.MeanL0, StandardMetrics.MeanL0]);
        repeated.Should().Throw<ArgumentException>().WithMessage("*'l0' appears 2 times*");
        var names = () => SaeEvaluation.Evaluate(Saes(), source, new EvaluationOptions { Names = ["one"] });
        names.Should().Throw<ArgumentException>().WithMessage("*1 names for 2 SAEs*");
        var width = () => SaeEvaluation.Evaluate(Saes(), source, new EvaluationOptions { GroundTruth = new Matrix(3, 5) });
        width.Should().Throw<ArgumentException>().WithMessage("*GroundTruth has 5 columns*16*");
        var report = SaeEvaluation.Evaluate(Saes(), source, null, [StandardMetrics.MeanL0]);
        var missing = () => report[0, "fvu"];
        missing.Should().Throw<KeyNotFoundException>().WithMessage("*'fvu'*l0*");
    }
}
