// The main job: train a TopK sparse autoencoder on synthetic data with known ground-truth features
// (the MFR paper's generator, seed 001 section 3.1) and print how well it recovered them.
using System.CommandLine;
using SparseDictionary;
using SparseDictionary.Regularization;
using Spectre.Console;
using SparseDictionary.Metrics;

var dimension = new Option<int>("--dimension") { Description = "Input dimension d.", DefaultValueFactory = _ => 256 };
var features = new Option<int>("--features") { Description = "Ground-truth features G.", DefaultValueFactory = _ => 512 };
var groups = new Option<int>("--groups") { Description = "Feature groups E.", DefaultValueFactory = _ => 12 };
var active = new Option<int>("--active") { Description = "Active features per sample K.", DefaultValueFactory = _ => 36 };
var latents = new Option<int>("--latents") { Description = "SAE latents.", DefaultValueFactory = _ => 512 };
var k = new Option<int>("--k") { Description = "TopK k.", DefaultValueFactory = _ => 36 };
var tokens = new Option<long>("--tokens") { Description = "Training samples (token budget).", DefaultValueFactory = _ => 4_000_000 };
var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 4096 };
var learningRate = new Option<float>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => 2e-3f };
var seed = new Option<int>("--seed") { Description = "Seed of the data and of the SAE.", DefaultValueFactory = _ => 0 };
var auxK = new Option<bool>("--auxk") { Description = "Add the AuxK dead-latent term (k_aux = d/2, 1/32, dead after 200k tokens).", DefaultValueFactory = _ => true };

var command = new RootCommand("Train a TopK SAE on synthetic data with known features and report feature recovery.")
{
    dimension, features, groups, active, latents, k, tokens, batch, learningRate, seed, auxK,
};

command.SetAction((parse, cancellationToken) =>
{
    if (Console.IsOutputRedirected)
    {
        // A file has no width: do not wrap the table at Spectre's default of 80 columns.
        AnsiConsole.Profile.Width = 140;
    }

    // A small case whose features a TopK SAE can identify (few features, few active), then the MFR paper's setting
    // (or the one the flags give), where 4M samples are far from enough to recover any feature (docs/reproduction.md).
    var identifiable = Run(
        "identifiable: 128 features, 5 active",
        new SyntheticFeatureOptions { InputDimension = 64, FeatureCount = 128, GroupCount = 4, ActiveFeatures = 5, Seed = parse.GetValue(seed) },
        latentCount: 128, topK: 5, budget: 200_000, batchSize: 1024, rate: 5e-3f, withAuxK: true, parse.GetValue(seed), cancellationToken);
    var paper = Run(
        $"MFR paper: {parse.GetValue(features)} features, {parse.GetValue(active)} active",
        new SyntheticFeatureOptions
        {
            InputDimension = parse.GetValue(dimension),
            FeatureCount = parse.GetValue(features),
            GroupCount = parse.GetValue(groups),
            ActiveFeatures = parse.GetValue(active),
            Seed = parse.GetValue(seed),
        },
        parse.GetValue(latents), parse.GetValue(k), parse.GetValue(tokens), parse.GetValue(batch), parse.GetValue(learningRate), parse.GetValue(auxK), parse.GetValue(seed), cancellationToken);

    var table = new Table().Title("Results").AddColumn("measure");
    foreach (var run in new[] { identifiable, paper })
    {
        table.AddColumn(new TableColumn(run.Label).RightAligned());
    }

    foreach (var (measure, index) in RunSummary.Measures.Select((m, i) => (m, i)))
    {
        table.AddRow(measure, identifiable.Values[index], paper.Values[index]);
    }

    AnsiConsole.Write(table);
    return Task.FromResult(identifiable.Cancelled || paper.Cancelled ? 130 : 0);
});

return await command.Parse(args).InvokeAsync();

// Trains one TopK SAE on synthetic data with progress lines, then measures it against the ground truth.
static RunSummary Run(string label, SyntheticFeatureOptions data, int latentCount, int topK, long budget, int batchSize, float rate, bool withAuxK, int seed, CancellationToken cancellationToken)
{
    var source = new SyntheticFeatureSource(data);
    var sae = new SparseAutoencoder(source.Dimension, latentCount, new TopKActivation(topK), seed: seed);
    var options = new SaeTrainerOptions
    {
        LearningRate = rate,
        BatchSize = batchSize,
        TotalTokens = budget,
        WarmupSteps = 20,
        DeadLatentWindowTokens = 200_000,
        ProgressIntervalSteps = 25,
    };
    IRegularizer[] regularizers = withAuxK
        ? [new AuxKRegularizer(new AuxKOptions { KAux = source.Dimension / 2, DeadWindowTokens = 200_000 })]
        : [];
    var trainer = new SaeTrainer(options, regularizers);

    AnsiConsole.MarkupLine($"[bold]{Markup.Escape(label)}[/]: {sae.Activation.Name} SAE, d = {sae.InputDimension}, {sae.LatentCount} latents, on {source.FeatureCount} synthetic features ({source.GroupCount} groups, {source.ActiveFeatures} active per sample).");
    AnsiConsole.MarkupLine($"{options.Steps} steps of {options.BatchSize} samples, lr {options.LearningRate}, {(regularizers.Length > 0 ? "AuxK on" : "AuxK off")}.");
    var progress = new ConsoleProgress(p =>
    {
        var s = p.Saes[0];
        Console.WriteLine($"step {p.Step,6}/{p.TotalSteps}  tokens {p.Tokens,11:N0}  loss {p.Loss,9:G4}  FVU {s.FractionOfVarianceUnexplained,7:F4}  L0 {s.MeanL0,5:F1}  dead {s.DeadLatentFraction,6:P1}  {p.TokensPerSecond,9:N0} tok/s");
    });
    var result = trainer.Train(sae, source, progress, cancellationToken);

    var truth = source.GroundTruthFeatures.SliceRows(0, source.UsedFeatureCount);
    var recovery = FeatureSimilarity.MaxCosinePerRow(truth, sae.DecoderWeights);
    var final = result.LastProgress!.Saes[0];
    return new RunSummary(
        label,
        result.Cancelled,
        [
            $"{result.Steps:N0} / {result.Tokens:N0}",
            $"{result.Elapsed.TotalSeconds:F1} s ({result.Tokens / result.Elapsed.TotalSeconds:N0} tokens/s)",
            $"{final.FractionOfVarianceUnexplained:F4}",
            $"{final.MeanL0:F1}",
            $"{final.DeadLatentFraction:P1}",
            $"{recovery.Mean:F4}",
            $"{recovery.ShareAbove(0.9):P1} of {source.UsedFeatureCount}",
            $"{FeatureSimilarity.MeanMaxCosine(sae.DecoderWeights, truth):F4}",
        ]);
}

/// <summary>One case's column of the results table.</summary>
/// <param name="Label">The column's heading.</param>
/// <param name="Cancelled">Whether Ctrl+C stopped it.</param>
/// <param name="Values">One value per entry of <see cref="Measures"/>.</param>
internal sealed record RunSummary(string Label, bool Cancelled, string[] Values)
{
    /// <summary>The rows of the results table.</summary>
    public static readonly string[] Measures =
    [
        "steps / tokens",
        "training time",
        "fraction of variance unexplained (last batch)",
        "mean L0",
        "dead latents (200k-token window)",
        "MMCS: ground truth -> decoder",
        "ground-truth features recovered (cos > 0.9)",
        "MMCS: decoder -> ground truth",
    ];
}

/// <summary>Prints progress on the training thread (Progress&lt;T&gt; would post to the thread pool and print out of order).</summary>
internal sealed class ConsoleProgress(Action<TrainingProgress> print) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => print(value);
}
