
namespace SparseDictionary.Regularization;

/// <summary>One training step as a regularizer sees it.</summary>
public sealed class RegularizerContext
{
    internal RegularizerContext(long step, long totalSteps, long tokensSeen, Matrix input, IReadOnlyList<SaeStepContext> saes)
    {
        Step = step;
        TotalSteps = totalSteps;
        TokensSeen = tokensSeen;
        Input = input;
        Saes = saes;
    }

    /// <summary>The 0-based step number.</summary>
    public long Step { get; }

    /// <summary>The number of steps of the whole run.</summary>
    public long TotalSteps { get; }

    /// <summary>Tokens trained on before this step.</summary>
    public long TokensSeen { get; }

    /// <summary>The clean input batch (rows x d): the reconstruction target.</summary>
    public Matrix Input { get; }

    /// <summary>Each SAE's forward pass and gradient accumulators, in the order the SAEs were given to the trainer.</summary>
    public IReadOnlyList<SaeStepContext> Saes { get; }
}
