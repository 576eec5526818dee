using System.Globalization;
using SparseDictionary.Metrics;
using SparseDictionary.Regularization;

namespace SparseDictionary.Cli;

/// <summary>The library objects a <see cref="TrainConfig"/> describes: trainer options, SAEs, regularizers and noiser.</summary>
internal sealed class TrainingPlan
{
    private TrainingPlan(SaeTrainerOptions options, IReadOnlyList<IRegularizer> regularizers, INoiser? noiser)
    {
        Options = options;
        Regularizers = regularizers;
        Noiser = noiser;
    }

    public SaeTrainerOptions Options { get; }

    public IReadOnlyList<IRegularizer> Regularizers { get; }

    public INoiser? Noiser { get; }

    /// <summary>Builds the plan; checks the fields the library does not (SAE count, activation, matcher, noise kind).</summary>
    public static TrainingPlan From(TrainConfig config)
    {
        if (config.Sae.Count < 1)
        {
            throw new CliException($"--saes / sae.count must be at least 1 but is {config.Sae.Count}.");
        }

        var regularizers = new List<IRegularizer>();
        if (config.AuxK is { } auxK)
        {
            regularizers.Add(new AuxKRegularizer(auxK));
        }

        if (config.Mfr is { } mfr)
        {
            if (config.Sae.Count < 2)
            {
                throw new CliException($"MFR (--mfr / mfr) regularizes several SAEs together; set --saes / sae.count to 2 or more (it is {config.Sae.Count}).");
            }

            regularizers.Add(new MutualFeatureRegularizer(new MutualFeatureOptions
            {
                Coefficient = mfr.Coefficient,
                ScaleByInputDimension = mfr.ScaleByInputDimension,
                CoefficientFromInitialLoss = mfr.CoefficientFromInitialLoss,
                WarmupSteps = mfr.WarmupSteps,
                RefreshInterval = mfr.RefreshInterval,
                Symmetric = mfr.Symmetric,
                Matcher = mfr.Matcher.ToLowerInvariant() switch
                {
                    "max-cosine" => MaxCosineMatcher.Instance,
                    "hungarian" => new HungarianFeatureMatcher(),
                    _ => throw new CliException($"--mfr-matcher / mfr.matcher: '{mfr.Matcher}' is not one of max-cosine, hungarian."),
                },
            }));
        }

        return new TrainingPlan(config.Trainer, regularizers, CreateNoiser(config.Noise));
    }

    /// <summary>New SAEs for data of width <paramref name="inputDimension"/>.</summary>
    public static SparseAutoencoder[] CreateSaes(SaeConfig sae, int inputDimension)
    {
        var latents = sae.Latents ?? 8 * inputDimension;
        if (latents < 1)
        {
            throw new CliException($"--latents / sae.latents must be at least 1 but is {latents}.");
        }

        return [.. Enumerable.Range(0, sae.Count).Select(i => new SparseAutoencoder(inputDimension, latents, Activation(sae, latents), sae.Seed + i))];
    }

    /// <summary>The SAEs' folder names inside the run folder: "sae" for one, "sae-0", "sae-1", ... for several.</summary>
    public static string[] SaeFolderNames(int count) =>
        count == 1 ? ["sae"] : [.. Enumerable.Range(0, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"sae-{i}"))];

    private static IActivation Activation(SaeConfig sae, int latents) => sae.Activation.ToLowerInvariant() switch
    {
        "topk" when sae.K < 1 || sae.K > latents => throw new CliException($"--k / sae.k must be in [1, {latents}] (the latent count) but is {sae.K}."),
        "topk" => new TopKActivation(sae.K),
        "relu" => new ReLUActivation(),
        _ => throw new CliException($"--activation / sae.activation: '{sae.Activation}' is not one of topk, relu."),
    };

    private static INoiser? CreateNoiser(NoiseConfig? noise) => noise?.Kind.ToLowerInvariant() switch
    {
        null => null,
        "dropout" when noise.Rate is < 0 or >= 1 || double.IsNaN(noise.Rate) => throw new CliException($"--noise-rate / noise.rate must be in [0, 1) but is {noise.Rate}."),
        "dropout" => new DropoutNoiser(noise.Rate, noise.InvertedScaling, noise.Seed),
        "gaussian" when !(noise.StandardDeviation >= 0) || float.IsInfinity(noise.StandardDeviation) => throw new CliException($"--noise-std / noise.standardDeviation must be finite and >= 0 but is {noise.StandardDeviation}."),
        "gaussian" => new GaussianNoiser(noise.StandardDeviation, noise.Seed),
        _ => throw new CliException($"--noise / noise.kind: '{noise.Kind}' is not one of dropout, gaussian."),
    };
}
