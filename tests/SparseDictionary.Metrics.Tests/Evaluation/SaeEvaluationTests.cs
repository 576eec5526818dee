using System.Text.Json;
using SparseDictionary.Activations;
using SparseDictionary.Data;
using SparseDictionary.Metrics.Diversity;
using SparseDictionary.Metrics.Evaluation;
using SparseDictionary.Metrics.Reconstruction;
using SparseDictionary.Metrics.Similarity;
using SparseDictionary.Modeling;
using SparseDictionary.Tensors;

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
