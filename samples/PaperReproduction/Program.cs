// Reproduction of the synthetic-data comparison of the Mutual Feature Regularization paper (seed 001, section 3.1):
// pairs of TopK SAEs trained on data with known ground-truth features by four methods (baseline, MFR, denoising
// from seed 000, and MFR + denoising), over several seeds, with feature recovery, reconstruction and diversity
// measures summarised as mean ± standard deviation over the seeds.
using System.CommandLine;
using System.Diagnostics;
using SparseDictionary;
using SparseDictionary.Regularization;
using Spectre.Console;
using SparseDictionary.Metrics;

const long PaperTokens = 100_000_000;
const int PaperWarmupSteps = 100;
var methodNames = Enum.GetValues<Method>().Select(m => m.Name()).ToArray();

var dimension = new Option<int>("--dimension") { Description = "Input dimension d.", DefaultValueFactory = _ => 256, Recursive = true };
var features = new Option<int>("--features") { Description = "Ground-truth features G.", DefaultValueFactory = _ => 512, Recursive = true };
var groups = new Option<int>("--groups") { Description = "Feature groups E.", DefaultValueFactory = _ => 12, Recursive = true };
var active = new Option<int>("--active") { Description = "Active features per sample K (per group with --mode all-groups).", DefaultValueFactory = _ => 36, Recursive = true };
var decay = new Option<double>("--decay") { Description = "Within-group decay lambda of the feature probabilities.", DefaultValueFactory = _ => 0.99, Recursive = true };
var modeNames = new Dictionary<string, SyntheticActiveSetMode>
{
    ["one-group"] = SyntheticActiveSetMode.OneGroup,
    ["all-groups"] = SyntheticActiveSetMode.AllGroups,
    ["shared-chunk"] = SyntheticActiveSetMode.SharedWithinChunk,
};
var mode = new Option<string>("--mode")
{
    Description = "Data reading: one-group (section 3.1: K features of one group per sample), all-groups (section 3.2: K in each of the E groups), shared-chunk (the authors' code: one active set per group per chunk of 1,000,000 samples).",
    DefaultValueFactory = _ => "one-group",
    Recursive = true,
};
mode.AcceptOnlyFromAmong([.. modeNames.Keys]);
var latents = new Option<int>("--latents") { Description = "Latents per SAE.", DefaultValueFactory = _ => 512 };
var k = new Option<int>("--k") { Description = "TopK k.", DefaultValueFactory = _ => 36 };
var tokens = new Option<long>("--tokens") { Description = "Training samples per run (each method and seed).", DefaultValueFactory = _ => 500_000, Recursive = true };
var full = new Option<bool>("--full") { Description = $"The paper's budget: {PaperTokens:N0} samples per run (overrides --tokens).", Recursive = true };
var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 10_000, Recursive = true };
var learningRate = new Option<float>("--lr") { Description = "Peak AdamW learning rate (linear decay over the last 20% of the run).", DefaultValueFactory = _ => 1e-2f };
var learningRateWarmup = new Option<int>("--lr-warmup") { Description = "Steps of linear learning-rate warm-up.", DefaultValueFactory = _ => 5 };
var seeds = new Option<int>("--seeds") { Description = "Seeds (data, ground truth and initial weights differ per seed).", DefaultValueFactory = _ => 3 };
var methods = new Option<string[]>("--methods") { Description = "Methods to compare.", DefaultValueFactory = _ => methodNames, AllowMultipleArgumentsPerToken = true };
methods.AcceptOnlyFromAmong(methodNames);
var alpha = new Option<float>("--alpha") { Description = "MFR coefficient alpha, relative to a reconstruction loss averaged over the d entries (the authors' nn.MSELoss).", DefaultValueFactory = _ => 3f };
var alphaUnscaled = new Option<bool>("--alpha-unscaled") { Description = "Weigh the penalty by alpha itself on the library's loss summed over the d entries (a d times weaker penalty than the authors')." };
var mfrWarmup = new Option<int>("--mfr-warmup") { Description = "Steps of the cosine warm-up of alpha (at most a quarter of the run is used).", DefaultValueFactory = _ => PaperWarmupSteps };
var reinitSteps = new Option<int>("--reinit-steps") { Description = "Steps during which MFR runs check for reinitialisation (at most a quarter of the run is used).", DefaultValueFactory = _ => PaperWarmupSteps };
var reinitThreshold = new Option<double>("--reinit-threshold") { Description = "Threshold on the linear inactivity deviation.", DefaultValueFactory = _ => 1.0 };
var matcher = new Option<string>("--matcher") { Description = "How MFR pairs decoder rows: the paper's max cosine or the authors' one-to-one Hungarian matching.", DefaultValueFactory = _ => "max-cosine" };
matcher.AcceptOnlyFromAmong("max-cosine", "hungarian");
var dropout = new Option<double>("--dropout") { Description = "Dropout rate of denoising (inverted scaling).", DefaultValueFactory = _ => 0.1 };
var beta = new Option<float>("--beta") { Description = "Weight beta of the denoising term.", DefaultValueFactory = _ => 1f };
var auxK = new Option<bool>("--auxk") { Description = "Add the AuxK dead-latent term to every method (not part of the paper's setup)." };
var heldOutRows = new Option<int>("--heldout") { Description = "Held-out samples for FVU (the samples after the training budget, same ground truth).", DefaultValueFactory = _ => 20_000, Recursive = true };
var uniqueTau = new Option<double>("--unique-tau") { Description = "Cosine above which two latents of one SAE count as duplicates.", DefaultValueFactory = _ => 0.9 };
var save = new Option<string?>("--save") { Description = "Folder to save each run's two SAEs in (<folder>/seed<N>-<method>/sae-1, sae-2, the library's layout), with its reinitialisations and measures." };
var resume = new Option<bool>("--resume") { Description = "With --save: skip runs whose measures are saved, and continue interrupted runs from their newest checkpoint (<folder>/seed<N>-<method>/checkpoints, written every tenth of a run, at most every 500 steps)." };
var symmetric = new Option<bool>("--symmetric") { Description = "MFR: match the decoders both ways and average the two MMCS (max-cosine matching)." };
var coverageTau = new Option<double>("--coverage-tau") { Description = "Cosine above which a ground-truth feature counts as covered.", DefaultValueFactory = _ => 0.7 };

var command = new RootCommand("Compare baseline, MFR, denoising and MFR + denoising SAE training on the MFR paper's synthetic data.")
{
    dimension, features, groups, active, decay, latents, k, tokens, full, batch, learningRate, learningRateWarmup, seeds, methods,
    alpha, alphaUnscaled, mfrWarmup, reinitSteps, reinitThreshold, matcher, dropout, beta, auxK, heldOutRows, uniqueTau, coverageTau, save, resume, symmetric, mode,
};

var runs = new Option<string>("--runs") { Description = "The --save folder of a reproduction run.", Required = true };
var plots = new Option<string>("--plots") { Description = "Folder for one scatter plot (PNG) per run.", DefaultValueFactory = _ => "plots" };
var report = new Option<string?>("--report") { Description = "Markdown file for the table (printed either way)." };
var analyze = new Command("analyze", "Recompute the paper's measures from the SAEs a run saved (--save), draw the paper's Figure 2-5 scatter per run, and print a table of mean ± standard deviation per method. Pass the data options the runs used.")
{
    runs, plots, report,
};
command.Subcommands.Add(analyze);
analyze.SetAction(parse =>
{
    var budget = parse.GetValue(full) ? PaperTokens : parse.GetValue(tokens);
    var samples = budget / parse.GetValue(batch) * parse.GetValue(batch);
    var results = Analysis.Run(parse.GetValue(runs)!, seed => SourceFor(parse, seed), samples, parse.GetValue(heldOutRows), parse.GetValue(plots)!);
    var table = Analysis.Table(results);
    Console.WriteLine(table);
    foreach (var run in results)
    {
        Console.WriteLine($"{run.Name}: recovered by SAE 1 / SAE 2 {run.RecoveredPerSae[0]:P1} / {run.RecoveredPerSae[1]:P1}; reinitialisations (SAE:step) {(run.ReinitializationSteps.Length == 0 ? "none" : string.Join(", ", run.ReinitializationSteps))}");
    }

    if (parse.GetValue(report) is { } path)
    {
        File.WriteAllText(path, table);
    }

    return 0;
});

command.SetAction((parse, cancellationToken) =>
{
    var total = Stopwatch.StartNew();
    if (Console.IsOutputRedirected)
    {
        // A file has no width: do not wrap the table at Spectre's default of 80 columns.
        AnsiConsole.Profile.Width = 160;
    }

    var budget = parse.GetValue(full) ? PaperTokens : parse.GetValue(tokens);
    var batchSize = parse.GetValue(batch);
    var steps = budget / batchSize;
    if (parse.GetValue(seeds) < 1 || batchSize < 1 || steps < 1)
    {
        AnsiConsole.MarkupLine($"[red]Need at least one seed and one batch: --seeds {parse.GetValue(seeds)}, --batch {batchSize}, --tokens {budget}.[/]");
        return Task.FromResult(2);
    }

    // The paper's 100-step alpha warm-up and reinitialisation window are 1% of its 10,000 steps; on a short run they
    // would cover all of it, so both are capped at a quarter of the run.
    var quarter = (int)Math.Max(1, Math.Min(int.MaxValue, steps / 4));

    var settings = new RunSettings(
        parse.GetValue(latents), parse.GetValue(k), budget, batchSize, parse.GetValue(learningRate), parse.GetValue(learningRateWarmup),
        parse.GetValue(alpha), !parse.GetValue(alphaUnscaled), Math.Min(parse.GetValue(mfrWarmup), quarter), Math.Min(parse.GetValue(reinitSteps), quarter),
        parse.GetValue(reinitThreshold), parse.GetValue(dropout), parse.GetValue(beta),
        parse.GetValue(matcher) == "hungarian" ? new HungarianFeatureMatcher() : MaxCosineMatcher.Instance,
        parse.GetValue(symmetric),
        parse.GetValue(auxK), parse.GetValue(heldOutRows), parse.GetValue(uniqueTau), parse.GetValue(coverageTau));
    var chosen = parse.GetValue(methods)!.Distinct().Select(Experiment.Parse).Order().ToArray();
    var seedCount = parse.GetValue(seeds);
    var probe = SourceFor(parse, 0);
    AnsiConsole.MarkupLine($"[bold]MFR paper, synthetic data[/]: d = {probe.Dimension}, {probe.FeatureCount} ground-truth features ({probe.UsedFeatureCount} used) in {probe.GroupCount} groups, {probe.ActiveFeatures} active per sample, lambda = {probe.Decay}.");
    AnsiConsole.MarkupLine($"{Experiment.SaeCount} TopK SAEs per run, {settings.Latents} latents, k = {settings.K}; AdamW lr {settings.LearningRate:G3} ({settings.LearningRateWarmupSteps}-step warm-up, linear decay over the last 20%){(settings.AuxK ? ", AuxK on" : string.Empty)}.");
    AnsiConsole.MarkupLine($"Budget: {steps:N0} steps x {batchSize:N0} = {steps * batchSize:N0} samples per run{(budget == PaperTokens ? " (the paper's)" : $" (the paper: {PaperTokens:N0})")}; {chosen.Length} methods x {seedCount} seeds = {chosen.Length * seedCount} runs.");
    AnsiConsole.MarkupLine($"MFR: alpha = {parse.GetValue(alpha)}{(settings.AlphaPerEntry ? $" next to a per-entry mean squared error as in the authors' code (x d = {settings.Alpha * probe.Dimension} on the library's loss summed over the d entries)" : " on the library's summed loss")}, {settings.Matcher.Name} matching, cosine warm-up over {settings.MfrWarmupSteps} steps{Scaled(parse.GetValue(mfrWarmup), settings.MfrWarmupSteps)}; reinitialisation (linear deviation > {settings.ReinitializationThreshold}) checked in the first {settings.ReinitializationSteps} steps{Scaled(parse.GetValue(reinitSteps), settings.ReinitializationSteps)}.");
    AnsiConsole.MarkupLine($"Denoising: dropout p = {settings.DropoutRate} with inverted scaling, beta = {settings.Beta}. Baseline: the two SAEs do not interact (= training each alone).");
    AnsiConsole.MarkupLine($"Held-out FVU on {settings.HeldOutRows:N0} samples following the training stream; recovered: cos > 0.9; coverage: cos > {settings.CoverageTau}; unique: no other latent at cos > {settings.UniqueTau}.");
    AnsiConsole.MarkupLine("Per run below: MFR matcher similarity = mean cosine of the pairs the MFR matcher formed (SAE 1's rows -> SAE 2) at the last step; cross-SAE MMCS = max-cosine MMCS averaged over both directions.");
    AnsiConsole.WriteLine();

    var results = chosen.ToDictionary(m => m, _ => new List<RunMeasures>());
    for (var seed = 0; seed < seedCount; seed++)
    {
        // Held-out rows: the samples that follow the training budget (sample i depends only on the seed and i).
        var heldOutSource = SourceFor(parse, seed);
        heldOutSource.Seek(steps * batchSize);
        var heldOut = new Matrix(settings.HeldOutRows, heldOutSource.Dimension);
        heldOutSource.Read(heldOut);
        foreach (var method in chosen)
        {
            var label = $"seed {seed} {method.Name()}";
            var runDirectory = parse.GetValue(save) is { } saveRoot ? Path.Combine(saveRoot, $"seed{seed}-{method.Name()}") : null;
            if (parse.GetValue(resume) && runDirectory is not null && File.Exists(Path.Combine(runDirectory, "measures.json")))
            {
                var saved = System.Text.Json.JsonSerializer.Deserialize<RunMeasures>(File.ReadAllText(Path.Combine(runDirectory, "measures.json")), MeasuresJson)!;
                results[method].Add(saved);
                Console.WriteLine($"seed {seed}  {method.Name(),-14} done before: measures read from {runDirectory}");
                continue;
            }

            var run = Experiment.Run(method, seed, SourceFor(parse, seed), settings, heldOut, runDirectory, parse.GetValue(resume), new RunProgress(label), cancellationToken);
            if (run.Cancelled)
            {
                AnsiConsole.MarkupLine("[yellow]Cancelled.[/]");
                return Task.FromResult(130);
            }

            results[method].Add(run);
            if (runDirectory is not null)
            {
                File.WriteAllText(Path.Combine(runDirectory, "measures.json"), System.Text.Json.JsonSerializer.Serialize(run, MeasuresJson));
            }

            var similarity = double.IsNaN(run.MfrSimilarity) ? "   -  " : $"{run.MfrSimilarity:F4}";
            Console.WriteLine($"seed {seed}  {method.Name(),-14} {run.Seconds,6:F1} s  FVU last batch {run.LastBatchFvu:F4}, held-out {run.HeldOutFvu:F4}  MFR matcher similarity {similarity}  cross-SAE MMCS {run.CrossSaeMmcs:F4}  MMCS truth {run.Mmcs:F4}  reinit {run.Reinitializations}");
        }
    }

    AnsiConsole.WriteLine();
    AnsiConsole.Write(ResultTable(results, seedCount));
    AnsiConsole.MarkupLine($"Total time {total.Elapsed.TotalSeconds:F1} s ({total.Elapsed.TotalSeconds / Math.Max(1, chosen.Length * seedCount):F1} s per run, measures included).");
    return Task.FromResult(0);
});

return await command.Parse(args).InvokeAsync();

SyntheticFeatureSource SourceFor(ParseResult parse, int seed) => new(new SyntheticFeatureOptions
{
    InputDimension = parse.GetValue(dimension),
    FeatureCount = parse.GetValue(features),
    GroupCount = parse.GetValue(groups),
    ActiveFeatures = parse.GetValue(active),
    Decay = parse.GetValue(decay),
    ActiveSetMode = modeNames[parse.GetValue(mode)!],
    Seed = seed,
});

static string Scaled(int requested, int used) => requested == used ? string.Empty : $" (the paper's {requested}, capped at a quarter of this run)";

// One row per measure, one column per method: mean ± sample standard deviation over seeds.
static Table ResultTable(Dictionary<Method, List<RunMeasures>> results, int seedCount)
{
    var table = new Table().Title($"Mean ± standard deviation over {seedCount} seed(s); per-SAE measures averaged over the two SAEs").AddColumn("measure");
    foreach (var method in results.Keys)
    {
        table.AddColumn(new TableColumn(method.Name()).RightAligned());
    }

    (string Label, Func<RunMeasures, double> Value, string Format)[] rows =
    [
        ("MMCS ground truth -> decoder", r => r.Mmcs, "F4"),
        ("ground-truth features recovered (cos > 0.9)", r => r.Recovered, "P1"),
        ("FVU, held-out", r => r.HeldOutFvu, "F4"),
        ("unique-feature share", r => r.UniqueShare, "P1"),
        ("feature coverage of the ground truth", r => r.Coverage, "P1"),
        ("effective rank of the decoder", r => r.EffectiveRank, "F1"),
        ("dead latents on the held-out set", r => r.DeadShare, "P1"),
        ("cross-SAE MMCS (max cosine, both ways)", r => r.CrossSaeMmcs, "F4"),
        ("corr(cross-SAE sim., ground-truth sim.)", r => r.Correlation, "F3"),
        ("reinitialisations per run", r => r.Reinitializations, "F2"),
        ("training + measuring time per run (s)", r => r.Seconds, "F1"),
    ];
    foreach (var (label, value, format) in rows)
    {
        table.AddRow([label, .. results.Values.Select(runs => MeanAndDeviation(runs.Select(value).ToArray(), format))]);
    }

    return table;
}

static string MeanAndDeviation(double[] values, string format)
{
    var mean = values.Average();
    if (values.Length < 2)
    {
        return mean.ToString(format, null);
    }

    var deviation = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    return $"{mean.ToString(format, null)} ± {deviation.ToString(format, null)}";
}

/// <summary>Top-level statements' shared settings.</summary>
internal static partial class Program
{
    /// <summary>How measures.json is written and read (NaN allowed: e.g. the MFR similarity of a baseline run).</summary>
    internal static readonly System.Text.Json.JsonSerializerOptions MeasuresJson = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
