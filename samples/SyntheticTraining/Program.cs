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
    var source = new SyntheticFeatureSource(new SyntheticFeatureOptions
    {
        InputDimension = parse.GetValue(dimension),
        FeatureCount = parse.GetValue(features),
        GroupCount = parse.GetValue(groups),
        ActiveFeatures = parse.GetValue(active),
        Seed = parse.GetValue(seed),
    });
    var sae = new SparseAutoencoder(source.Dimension, parse.GetValue(latents), new TopKActivation(parse.GetValue(k)), seed: parse.GetValue(seed));
    var options = new SaeTrainerOptions
    {
        LearningRate = parse.GetValue(learningRate),
        BatchSize = parse.GetValue(batch),
        TotalTokens = parse.GetValue(tokens),
        WarmupSteps = 20,
        DeadLatentWindowTokens = 200_000,
        ProgressIntervalSteps = 25,
    };
    IRegularizer[] regularizers = parse.GetValue(auxK)
        ? [new AuxKRegularizer(new AuxKOptions { KAux = source.Dimension / 2, DeadWindowTokens = 200_000 })]
        : [];
    var trainer = new SaeTrainer(options, regularizers);

    AnsiConsole.MarkupLine($"[bold]SparseDictionary[/]: {sae.Activation.Name} SAE, d = {sae.InputDimension}, {sae.LatentCount} latents, on {source.FeatureCount} synthetic features ({source.GroupCount} groups, {source.ActiveFeatures} active per sample).");
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
    var table = new Table().Title("Results").AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
    table.AddRow("steps / tokens", $"{result.Steps:N0} / {result.Tokens:N0}");
    table.AddRow("training time", $"{result.Elapsed.TotalSeconds:F1} s ({result.Tokens / result.Elapsed.TotalSeconds:N0} tokens/s)");
    table.AddRow("fraction of variance unexplained (last batch)", $"{final.FractionOfVarianceUnexplained:F4}");
    table.AddRow("mean L0", $"{final.MeanL0:F1}");
    table.AddRow("dead latents (200k-token window)", $"{final.DeadLatentFraction:P1}");
    table.AddRow("MMCS: ground truth -> decoder", $"{recovery.Mean:F4}");
    table.AddRow("ground-truth features recovered (cos > 0.9)", $"{recovery.ShareAbove(0.9):P1} of {source.UsedFeatureCount}");
    table.AddRow("MMCS: decoder -> ground truth", $"{FeatureSimilarity.MeanMaxCosine(sae.DecoderWeights, truth):F4}");
    AnsiConsole.Write(table);
    return Task.FromResult(result.Cancelled ? 130 : 0);
});

return await command.Parse(args).InvokeAsync();

/// <summary>Prints progress on the training thread (Progress&lt;T&gt; would post to the thread pool and print out of order).</summary>
internal sealed class ConsoleProgress(Action<TrainingProgress> print) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => print(value);
}
