using System.CommandLine;

namespace SparseDictionary.Cli;

/// <summary>
/// The flags of <c>sdict train</c>. Each one mirrors a field of <see cref="TrainConfig"/>; a flag that is given overrides
/// the config file, a flag of an optional part (AuxK, MFR, noise, reinitialisation) switches that part on.
/// </summary>
internal sealed class TrainFlags
{
    // Run
    public Option<string> Config { get; } = new("--config") { Description = "A JSON config file (docs/cli.md); flags override its fields." };

    public Option<string> Output { get; } = new("--out", "-o") { Description = "The run's folder: trained SAEs, metrics.csv, plots, checkpoints, train-config.json." };

    public Option<bool> Resume { get; } = new("--resume") { Description = "Continue the run from the newest checkpoint (reads <out>/train-config.json when --config is not given)." };

    public Option<string> SaveLayout { get; } = ParseResultExtensions.EnumOption<SaeFileLayout>("--save-layout", "Layout of the saved SAEs (default native).");

    public Option<bool> NoPlots { get; } = new("--no-plots") { Description = "Do not plot the training curves." };

    // SAEs
    public Option<int> Latents { get; } = new("--latents") { Description = "Latents per SAE (default 8 x the input dimension)." };

    public Option<string> Activation { get; } = ParseResultExtensions.ChoiceOption("--activation", "The activation (default topk).", "topk", "relu");

    public Option<int> K { get; } = new("--k") { Description = "TopK's k (default 32)." };

    public Option<int> Saes { get; } = new("--saes") { Description = "SAEs trained together on the same batches (default 1; MFR needs 2 or more)." };

    public Option<int> SaeSeed { get; } = new("--sae-seed") { Description = "Seed of the first SAE's weights; SAE i uses seed + i (default 0)." };

    // SaeTrainerOptions
    public Option<float> LearningRate { get; } = new("--lr") { Description = "Peak AdamW learning rate (default 5e-4)." };

    public Option<float> Beta1 { get; } = new("--beta1") { Description = "AdamW beta1 (default 0.9)." };

    public Option<float> Beta2 { get; } = new("--beta2") { Description = "AdamW beta2 (default 0.999)." };

    public Option<float> Epsilon { get; } = new("--epsilon") { Description = "AdamW epsilon (default 1e-8)." };

    public Option<float> WeightDecay { get; } = new("--weight-decay") { Description = "Decoupled weight decay of the weights (default 0)." };

    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Rows per step (default 4096)." };

    public Option<long> Tokens { get; } = new("--tokens") { Description = "Token budget; the run takes floor(tokens / batch size) steps (default 10,000,000)." };

    public Option<int> WarmupSteps { get; } = new("--warmup-steps") { Description = "Steps of linear learning-rate warm-up (default 0)." };

    public Option<double> DecayFraction { get; } = new("--decay-fraction") { Description = "Share of the run, at its end, of linear learning-rate decay to 0 (default 0.2)." };

    public Option<string> BiasInit { get; } = ParseResultExtensions.EnumOption<DecoderBiasInitialization>("--bias-init", "How b_dec is set from the first batch (default geometric-median).");

    public Option<long> DeadWindow { get; } = new("--dead-window") { Description = "Tokens without firing after which a latent counts as dead (default 10,000,000)." };

    public Option<int> ProgressInterval { get; } = new("--progress-interval") { Description = "Steps between two progress reports and metrics.csv rows (default 10)." };

    public Option<float> DenoisingWeight { get; } = new("--denoising-weight") { Description = "beta, the weight of the denoising term with --noise (default 1)." };

    public Option<bool> Prefetch { get; } = new("--prefetch") { Description = "Read the next batch while a step runs (default true)." };

    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the trainer's own draws (reinitialised weights) (default 0)." };

    public Option<int> ReinitSteps { get; } = new("--reinit-steps") { Description = "Reinitialisation: check the first M steps (switches it on; default 100)." };

    public Option<string> ReinitMeasure { get; } = ParseResultExtensions.EnumOption<InactivityMeasure>("--reinit-measure", "Reinitialisation: the deviation measure (switches it on; default linear).");

    public Option<double> ReinitThreshold { get; } = new("--reinit-threshold") { Description = "Reinitialisation: threshold on the deviation (switches it on; default 1)." };

    public Option<string> CheckpointDir { get; } = new("--checkpoint-dir") { Description = "Folder of the checkpoints (default <out>/checkpoints)." };

    public Option<int> CheckpointInterval { get; } = new("--checkpoint-interval") { Description = "Steps between two checkpoints (default 1000)." };

    public Option<int> CheckpointKeep { get; } = new("--checkpoint-keep") { Description = "Newest checkpoints kept (default 3)." };

    public Option<bool> NoCheckpoints { get; } = new("--no-checkpoints") { Description = "Write no checkpoint (Ctrl+C then stops without one)." };

    // AuxK
    public Option<bool> AuxK { get; } = new("--auxk") { Description = "Add the AuxK dead-latent term." };

    public Option<int> AuxKK { get; } = new("--auxk-k") { Description = "AuxK: k_aux dead latents used (default 256)." };

    public Option<float> AuxKCoefficient { get; } = new("--auxk-coefficient") { Description = "AuxK: weight of the term (default 1/32)." };

    public Option<long> AuxKWindow { get; } = new("--auxk-window") { Description = "AuxK: tokens without firing after which a latent is dead (default 10,000,000)." };

    // MFR
    public Option<bool> Mfr { get; } = new("--mfr") { Description = "Add Mutual Feature Regularization across the SAEs (needs --saes 2 or more)." };

    public Option<float> MfrAlpha { get; } = new("--mfr-alpha") { Description = "MFR: alpha (default 3)." };

    public Option<bool> MfrUnscaled { get; } = new("--mfr-unscaled") { Description = "MFR: weigh the penalty by alpha itself, not alpha x d." };

    public Option<bool> MfrAlphaFromLoss { get; } = new("--mfr-alpha-from-loss") { Description = "MFR: set alpha so that the initial penalty equals the initial reconstruction loss." };

    public Option<int> MfrWarmup { get; } = new("--mfr-warmup") { Description = "MFR: steps of cosine warm-up of alpha (default 100)." };

    public Option<int> MfrRefresh { get; } = new("--mfr-refresh") { Description = "MFR: steps between two matchings (default 1)." };

    public Option<string> MfrMatcher { get; } = ParseResultExtensions.ChoiceOption("--mfr-matcher", "MFR: how decoder rows are paired (default max-cosine).", "max-cosine", "hungarian");

    public Option<bool> MfrSymmetric { get; } = new("--mfr-symmetric") { Description = "MFR: compare each pair of SAEs both ways." };

    // Noise
    public Option<string> Noise { get; } = ParseResultExtensions.ChoiceOption("--noise", "Denoising training: input noise (default none).", "none", "dropout", "gaussian");

    public Option<double> NoiseRate { get; } = new("--noise-rate") { Description = "Dropout rate p (default 0.1)." };

    public Option<float> NoiseStd { get; } = new("--noise-std") { Description = "Standard deviation of Gaussian noise (default 0.1)." };

    public Option<bool> NoiseUnscaled { get; } = new("--noise-unscaled") { Description = "Dropout without the 1/(1-p) scaling of kept entries." };

    public Option<int> NoiseSeed { get; } = new("--noise-seed") { Description = "Seed of the noise (default 0)." };

    public DataFlags Data { get; } = new();

    /// <summary>Adds every flag to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var property in GetType().GetProperties().Where(p => typeof(Option).IsAssignableFrom(p.PropertyType)))
        {
            command.Options.Add((Option)property.GetValue(this)!);
        }

        Data.AddTo(command);
    }

    /// <summary>Applies the flags that were given to <paramref name="config"/>.</summary>
    public void Apply(ParseResult parse, TrainConfig config)
    {
        parse.IfGiven(Output, v => config.Output = v);
        parse.IfGiven(SaveLayout, v => config.SaveLayout = EnumNames<SaeFileLayout>.Parse(v, "--save-layout"));
        parse.IfGiven(NoPlots, v => config.Plots = !v);
        Data.Apply(parse, config.Data);

        var sae = config.Sae;
        parse.IfGiven(Latents, v => sae.Latents = v);
        parse.IfGiven(Activation, v => sae.Activation = v);
        parse.IfGiven(K, v => sae.K = v);
        parse.IfGiven(Saes, v => sae.Count = v);
        parse.IfGiven(SaeSeed, v => sae.Seed = v);

        ApplyTrainer(parse, config.Trainer);
        ApplyRegularizers(parse, config);
        ApplyNoise(parse, config);
    }

    private void ApplyTrainer(ParseResult parse, SaeTrainerOptions t)
    {
        parse.IfGiven(LearningRate, v => t.LearningRate = v);
        parse.IfGiven(Beta1, v => t.Beta1 = v);
        parse.IfGiven(Beta2, v => t.Beta2 = v);
        parse.IfGiven(Epsilon, v => t.Epsilon = v);
        parse.IfGiven(WeightDecay, v => t.WeightDecay = v);
        parse.IfGiven(BatchSize, v => t.BatchSize = v);
        parse.IfGiven(Tokens, v => t.TotalTokens = v);
        parse.IfGiven(WarmupSteps, v => t.WarmupSteps = v);
        parse.IfGiven(DecayFraction, v => t.DecayFraction = v);
        parse.IfGiven(BiasInit, v => t.DecoderBiasInitialization = EnumNames<DecoderBiasInitialization>.Parse(v, "--bias-init"));
        parse.IfGiven(DeadWindow, v => t.DeadLatentWindowTokens = v);
        parse.IfGiven(ProgressInterval, v => t.ProgressIntervalSteps = v);
        parse.IfGiven(DenoisingWeight, v => t.DenoisingWeight = v);
        parse.IfGiven(Prefetch, v => t.PrefetchSource = v);
        parse.IfGiven(Seed, v => t.Seed = v);
        parse.IfGiven(ReinitSteps, v => (t.Reinitialization ??= new()).Steps = v);
        parse.IfGiven(ReinitMeasure, v => (t.Reinitialization ??= new()).Measure = EnumNames<InactivityMeasure>.Parse(v, "--reinit-measure"));
        parse.IfGiven(ReinitThreshold, v => (t.Reinitialization ??= new()).Threshold = v);
        parse.IfGiven(CheckpointDir, v => (t.Checkpoints ??= new()).Directory = v);
        parse.IfGiven(CheckpointInterval, v => (t.Checkpoints ??= new()).IntervalSteps = v);
        parse.IfGiven(CheckpointKeep, v => (t.Checkpoints ??= new()).Keep = v);
        if (parse.GetValue(NoCheckpoints))
        {
            t.Checkpoints = null;
        }
    }

    private void ApplyRegularizers(ParseResult parse, TrainConfig config)
    {
        parse.IfGiven(AuxK, v => config.AuxK = v ? config.AuxK ?? new AuxKOptions() : null);
        parse.IfGiven(AuxKK, v => (config.AuxK ??= new()).KAux = v);
        parse.IfGiven(AuxKCoefficient, v => (config.AuxK ??= new()).Coefficient = v);
        parse.IfGiven(AuxKWindow, v => (config.AuxK ??= new()).DeadWindowTokens = v);

        parse.IfGiven(Mfr, v => config.Mfr = v ? config.Mfr ?? new MfrConfig() : null);
        parse.IfGiven(MfrAlpha, v => (config.Mfr ??= new()).Coefficient = v);
        parse.IfGiven(MfrUnscaled, v => (config.Mfr ??= new()).ScaleByInputDimension = !v);
        parse.IfGiven(MfrAlphaFromLoss, v => (config.Mfr ??= new()).CoefficientFromInitialLoss = v);
        parse.IfGiven(MfrWarmup, v => (config.Mfr ??= new()).WarmupSteps = v);
        parse.IfGiven(MfrRefresh, v => (config.Mfr ??= new()).RefreshInterval = v);
        parse.IfGiven(MfrMatcher, v => (config.Mfr ??= new()).Matcher = v);
        parse.IfGiven(MfrSymmetric, v => (config.Mfr ??= new()).Symmetric = v);
    }

    private void ApplyNoise(ParseResult parse, TrainConfig config)
    {
        parse.IfGiven(Noise, v =>
        {
            if (v.Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                config.Noise = null;
            }
            else
            {
                (config.Noise ??= new()).Kind = v.ToLowerInvariant();
            }
        });
        parse.IfGiven(NoiseRate, v => (config.Noise ??= new()).Rate = v);
        parse.IfGiven(NoiseStd, v => (config.Noise ??= new() { Kind = "gaussian" }).StandardDeviation = v);
        parse.IfGiven(NoiseUnscaled, v => (config.Noise ??= new()).InvertedScaling = !v);
        parse.IfGiven(NoiseSeed, v => (config.Noise ??= new()).Seed = v);
    }
}
