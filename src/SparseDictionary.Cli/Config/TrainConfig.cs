namespace SparseDictionary.Cli;

/// <summary>
/// Everything <c>sdict train</c> needs, as read from a JSON config file (camelCase fields, kebab-case enum values;
/// docs/cli.md gives the schema) and then overridden by the flags given on the command line.
/// </summary>
internal sealed class TrainConfig
{
    /// <summary>The run's folder: the trained SAEs, metrics.csv, plots, the effective config and, by default, the checkpoints.</summary>
    public string? Output { get; set; }

    /// <summary>The training rows.</summary>
    public DataConfig Data { get; set; } = new();

    /// <summary>The SAEs' shape and activation.</summary>
    public SaeConfig Sae { get; set; } = new();

    /// <summary>Every option of the library's trainer, with its defaults.</summary>
    public SaeTrainerOptions Trainer { get; set; } = new();

    /// <summary>The AuxK dead-latent term; null for none.</summary>
    public AuxKOptions? AuxK { get; set; }

    /// <summary>Mutual Feature Regularization across the SAEs (needs sae.count &gt;= 2); null for none.</summary>
    public MfrConfig? Mfr { get; set; }

    /// <summary>Input noise for denoising training; null for none.</summary>
    public NoiseConfig? Noise { get; set; }

    /// <summary>The layout the trained SAEs are saved in. Default native.</summary>
    public SaeFileLayout SaveLayout { get; set; } = SaeFileLayout.Native;

    /// <summary>Whether the training curves are plotted at the end. Default true.</summary>
    public bool Plots { get; set; } = true;
}

/// <summary>Where rows come from: .npy shards, a safetensors tensor, or the synthetic generator; exactly one.</summary>
internal sealed class DataConfig
{
    /// <summary>.npy files or folders of .npy shards (every *.npy directly inside, sorted by name).</summary>
    public List<string>? Npy { get; set; }

    /// <summary>A safetensors file whose 2-D tensor <see cref="Tensor"/> holds the rows.</summary>
    public string? Safetensors { get; set; }

    /// <summary>The tensor of <see cref="Safetensors"/>. Default "activations".</summary>
    public string Tensor { get; set; } = "activations";

    /// <summary>The MFR paper's synthetic data with known ground-truth features.</summary>
    public SyntheticFeatureOptions? Synthetic { get; set; }

    /// <summary>Shuffle the rows of file sources (a new order each epoch). Default false.</summary>
    public bool Shuffle { get; set; }

    /// <summary>Seed of the shuffling. Default 0.</summary>
    public int Seed { get; set; }
}

/// <summary>The SAEs trained together.</summary>
internal sealed class SaeConfig
{
    /// <summary>Latents per SAE; null for 8 x the input dimension.</summary>
    public int? Latents { get; set; }

    /// <summary>"topk" or "relu". Default topk.</summary>
    public string Activation { get; set; } = "topk";

    /// <summary>TopK's k. Default 32.</summary>
    public int K { get; set; } = 32;

    /// <summary>How many SAEs are trained on the same batches (MFR needs at least 2). Default 1.</summary>
    public int Count { get; set; } = 1;

    /// <summary>Seed of the first SAE's initial weights; SAE i uses seed + i. Default 0.</summary>
    public int Seed { get; set; }
}

/// <summary>The options of <see cref="MutualFeatureRegularizer"/>, with the matcher by name.</summary>
internal sealed class MfrConfig
{
    /// <summary>alpha. Default 3.</summary>
    public float Coefficient { get; set; } = 3f;

    /// <summary>Read alpha next to a per-entry mean squared error (weight alpha x d). Default true.</summary>
    public bool ScaleByInputDimension { get; set; } = true;

    /// <summary>Set alpha so that the initial penalty equals the initial reconstruction loss. Default false.</summary>
    public bool CoefficientFromInitialLoss { get; set; }

    /// <summary>Steps of cosine warm-up of alpha. Default 100.</summary>
    public int WarmupSteps { get; set; } = 100;

    /// <summary>Steps between two matchings. Default 1.</summary>
    public int RefreshInterval { get; set; } = 1;

    /// <summary>"max-cosine" (the paper) or "hungarian" (the authors' code). Default max-cosine.</summary>
    public string Matcher { get; set; } = "max-cosine";

    /// <summary>Compare each pair both ways. Default false.</summary>
    public bool Symmetric { get; set; }
}

/// <summary>The noiser of denoising training.</summary>
internal sealed class NoiseConfig
{
    /// <summary>"dropout" or "gaussian". Default dropout.</summary>
    public string Kind { get; set; } = "dropout";

    /// <summary>Dropout rate p. Default 0.1.</summary>
    public double Rate { get; set; } = 0.1;

    /// <summary>Dropout scales kept entries by 1/(1-p). Default true.</summary>
    public bool InvertedScaling { get; set; } = true;

    /// <summary>Standard deviation of Gaussian noise. Default 0.1.</summary>
    public float StandardDeviation { get; set; } = 0.1f;

    /// <summary>Seed of the noise. Default 0.</summary>
    public int Seed { get; set; }
}
