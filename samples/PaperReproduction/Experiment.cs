using System.Diagnostics;
using SparseDictionary;
using SparseDictionary.Regularization;
using SparseDictionary.Metrics;

/// <summary>The training methods compared.</summary>
internal enum Method
{
    /// <summary>Two SAEs trained on the same batches without any interaction (the same as training each alone).</summary>
    Baseline,

    /// <summary>Conditional reinitialisation alone (seed 001, section 3.3): an SAE whose latents fire unevenly early in training is reinitialised.</summary>
    Reinitialization,

    /// <summary>Mutual Feature Regularization: the penalty pulling the two decoders together, plus reinitialisation (seed 001).</summary>
    Mfr,

    /// <summary>Denoising training with input dropout (seed 000).</summary>
    Denoising,

    /// <summary>Both.</summary>
    MfrDenoising,
}

/// <summary>Everything a run needs besides its method and seed.</summary>
/// <param name="Latents">Latents per SAE.</param>
/// <param name="K">TopK k.</param>
/// <param name="Tokens">Training samples per run.</param>
/// <param name="BatchSize">Samples per step.</param>
/// <param name="LearningRate">Peak AdamW learning rate.</param>
/// <param name="LearningRateWarmupSteps">Steps of linear learning-rate warm-up.</param>
/// <param name="Alpha">MFR coefficient alpha.</param>
/// <param name="AlphaPerEntry">Whether alpha is read next to a per-entry mean squared error, as in the authors' code (the library then weighs the penalty alpha · d).</param>
/// <param name="MfrWarmupSteps">Steps of the cosine warm-up of alpha (already scaled to the run).</param>
/// <param name="ReinitializationSteps">Steps during which reinitialisation is checked (already scaled to the run).</param>
/// <param name="ReinitializationThreshold">Threshold on the linear inactivity deviation.</param>
/// <param name="DropoutRate">Dropout rate p of denoising.</param>
/// <param name="Beta">Weight beta of the denoising term.</param>
/// <param name="Matcher">How MFR pairs the decoder rows.</param>
/// <param name="Symmetric">Whether MFR matches both ways and averages the two MMCS.</param>
/// <param name="AuxK">Whether to add the AuxK dead-latent term (not part of the paper's methods).</param>
/// <param name="HeldOutRows">Rows of the held-out evaluation set.</param>
/// <param name="UniqueTau">Cosine threshold of the unique-feature share.</param>
/// <param name="CoverageTau">Cosine threshold of the feature coverage.</param>
internal sealed record RunSettings(
    int Latents,
    int K,
    long Tokens,
    int BatchSize,
    float LearningRate,
    int LearningRateWarmupSteps,
    float Alpha,
    bool AlphaPerEntry,
    int MfrWarmupSteps,
    int ReinitializationSteps,
    double ReinitializationThreshold,
    double DropoutRate,
    float Beta,
    IFeatureMatcher Matcher,
    bool Symmetric,
    bool AuxK,
    int HeldOutRows,
    double UniqueTau,
    double CoverageTau);

/// <summary>The measures of one run (method and seed); per-SAE measures are averaged over the two SAEs.</summary>
internal sealed record RunMeasures(
    double Mmcs,
    double Recovered,
    double HeldOutFvu,
    double UniqueShare,
    double Coverage,
    double EffectiveRank,
    double DeadShare,
    double CrossSaeMmcs,
    double Correlation,
    int Reinitializations,
    double MfrSimilarity,
    double LastBatchFvu,
    double Seconds,
    bool Cancelled);

/// <summary>Trains and measures one method on one seed.</summary>
internal static class Experiment
{
    /// <summary>SAEs trained together per run (the paper's synthetic runs use N = 2).</summary>
    public const int SaeCount = 2;

    /// <summary>The name used on the command line and in the table.</summary>
    public static string Name(this Method method) => method switch
    {
        Method.Baseline => "baseline",
        Method.Reinitialization => "reinit",
        Method.Mfr => "mfr",
        Method.Denoising => "denoising",
        _ => "mfr+denoising",
    };

    /// <summary>Parses a name given by <see cref="Name"/>.</summary>
    public static Method Parse(string name) => Enum.GetValues<Method>().First(m => m.Name() == name);

    public static bool UsesMfr(this Method method) => method is Method.Mfr or Method.MfrDenoising;

    /// <summary>MFR is the penalty and the reinitialisation together (seed 001, section 3.3); reinit is the second alone.</summary>
    public static bool UsesReinitialization(this Method method) => method is Method.Reinitialization || method.UsesMfr();

    public static bool UsesDenoising(this Method method) => method is Method.Denoising or Method.MfrDenoising;

    /// <summary>
    /// Trains two SAEs with <paramref name="method"/> on <paramref name="source"/>, then measures them on the ground truth
    /// and on the held-out rows. Every method of a seed starts from the same initial weights (seeds 1000·seed + 1, + 2),
    /// so methods are compared pairwise on the same data and initialisation.
    /// </summary>
    /// <param name="heldOut">The held-out rows of this seed (samples that follow the training budget, never trained on).</param>
    /// <param name="saveDirectory">When given, the two trained SAEs are saved there (sae-1, sae-2, the library's layout) with the run's reinitialisations.</param>
    /// <param name="resume">Continue from the newest checkpoint in the run's folder when there is one.</param>
    /// <param name="progress">Receives the trainer's progress reports.</param>
    public static RunMeasures Run(
        Method method, int seed, SyntheticFeatureSource source, RunSettings settings, Matrix heldOut, string? saveDirectory, bool resume, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var saes = Enumerable.Range(1, SaeCount)
            .Select(i => new SparseAutoencoder(source.Dimension, settings.Latents, new TopKActivation(settings.K), seed: (1000 * seed) + i))
            .ToArray();

        var regularizers = new List<IRegularizer>();
        MutualFeatureRegularizer? mfr = null;
        if (method.UsesMfr())
        {
            mfr = new MutualFeatureRegularizer(new MutualFeatureOptions
            {
                Coefficient = settings.Alpha,
                ScaleByInputDimension = settings.AlphaPerEntry,
                WarmupSteps = settings.MfrWarmupSteps,
                Matcher = settings.Matcher,
                Symmetric = settings.Symmetric,
            });
            regularizers.Add(mfr);
        }

        if (settings.AuxK)
        {
            regularizers.Add(new AuxKRegularizer(new AuxKOptions { KAux = source.Dimension / 2, DeadWindowTokens = 200_000 }));
        }

        var options = new SaeTrainerOptions
        {
            LearningRate = settings.LearningRate,
            BatchSize = settings.BatchSize,
            TotalTokens = settings.Tokens,
            WarmupSteps = settings.LearningRateWarmupSteps,
            DenoisingWeight = settings.Beta,
            Seed = seed,
            ProgressIntervalSteps = 50,
            Checkpoints = saveDirectory is null ? null : new CheckpointOptions { Directory = Path.Combine(saveDirectory, "checkpoints"), IntervalSteps = (int)Math.Clamp(settings.Tokens / settings.BatchSize / 10, 1, 500), Keep = 2 },
            Reinitialization = method.UsesReinitialization()
                ? new ReinitializationOptions { Steps = settings.ReinitializationSteps, Measure = InactivityMeasure.Linear, Threshold = settings.ReinitializationThreshold }
                : null,
        };
        var noiser = method.UsesDenoising() ? new DropoutNoiser(settings.DropoutRate, invertedScaling: true, seed: seed) : null;
        var trainer = new SaeTrainer(options, regularizers, noiser);
        TrainingResult result;
        if (resume && options.Checkpoints is { } checkpoints && TrainingCheckpoint.List(checkpoints.Directory).Count > 0)
        {
            var checkpoint = TrainingCheckpoint.LoadLatest(checkpoints.Directory);
            Console.WriteLine($"  continuing from {checkpoint.Path} (step {checkpoint.Step:N0}){(checkpoint.Skipped.Count > 0 ? $"; skipped {string.Join("; ", checkpoint.Skipped)}" : string.Empty)}");
            result = trainer.Resume(checkpoint, source, progress, cancellationToken);
            saes = [.. checkpoint.Saes];
        }
        else
        {
            result = trainer.Train(saes, source, progress, cancellationToken);
        }

        if (saveDirectory is not null && !result.Cancelled)
        {
            for (var i = 0; i < saes.Length; i++)
            {
                saes[i].Save(Path.Combine(saveDirectory, $"sae-{i + 1}"));
            }

            File.WriteAllLines(
                Path.Combine(saveDirectory, "reinitializations.csv"),
                ["step,sae,deviation,seed", .. result.Reinitializations.Select(e => FormattableString.Invariant($"{e.Step},{e.SaeIndex + 1},{e.Deviation},{e.Seed}"))]);
        }

        var truth = source.GroundTruthFeatures.SliceRows(0, source.UsedFeatureCount);
        var perSae = saes.Select(sae => MeasureOne(sae, truth, heldOut, settings)).ToArray();
        var (first, second) = (saes[0].DecoderWeights, saes[1].DecoderWeights);
        var crossSae = 0.5 * (FeatureSimilarity.MeanMaxCosine(first, second) + FeatureSimilarity.MeanMaxCosine(second, first));
        var correlation = 0.5 * (Correlation(first, second, truth) + Correlation(second, first, truth));
        var lastBatch = result.LastProgress?.Saes.Average(s => s.FractionOfVarianceUnexplained) ?? double.NaN;

        return new RunMeasures(
            perSae.Average(m => m.Mmcs),
            perSae.Average(m => m.Recovered),
            perSae.Average(m => m.Fvu),
            perSae.Average(m => m.Unique),
            perSae.Average(m => m.Coverage),
            perSae.Average(m => m.Rank),
            perSae.Average(m => m.Dead),
            crossSae,
            correlation,
            result.Reinitializations.Count,
            mfr?.LastMeanSimilarity ?? double.NaN,
            lastBatch,
            stopwatch.Elapsed.TotalSeconds,
            result.Cancelled);
    }

    private static (double Mmcs, double Recovered, double Fvu, double Unique, double Coverage, double Rank, double Dead) MeasureOne(
        SparseAutoencoder sae, Matrix truth, Matrix heldOut, RunSettings settings)
    {
        var decoder = sae.DecoderWeights;
        var recovery = FeatureSimilarity.MaxCosinePerRow(truth, decoder);
        var report = ReconstructionEvaluation.Evaluate(sae, new InMemoryActivationSource(heldOut, loop: false), batchSize: 4096);
        return (
            recovery.Mean,
            recovery.ShareAbove(0.9),
            report.FractionOfVarianceUnexplained,
            DiversityMetrics.UniqueFeatureShare(decoder, settings.UniqueTau),
            DiversityMetrics.FeatureCoverage(truth, decoder, settings.CoverageTau),
            DiversityMetrics.EffectiveRank(decoder),
            report.DeadLatentShare);
    }

    /// <summary>Pearson correlation of cross-SAE and ground-truth max cosines over <paramref name="decoder"/>'s rows; NaN when undefined.</summary>
    private static double Correlation(Matrix decoder, Matrix other, Matrix truth)
    {
        try
        {
            return SimilarityCorrelation.CrossSaeVersusGroundTruth(decoder, other, truth);
        }
        catch (ArgumentException)
        {
            // A constant similarity profile (e.g. identical decoders) has no correlation.
            return double.NaN;
        }
    }
}
