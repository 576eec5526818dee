namespace SparseDictionary;

/// <summary>
/// Which latents of one SAE fire: per latent, the tokens since it last fired (the dead-latent window of AuxK and of the
/// progress reports) and the rows of the current step in which it fired (the inactivity deviation of reinitialisation).
/// </summary>
internal sealed class FiringStatistics(int latents)
{
    /// <summary>Per latent: tokens since it last fired (reset to 0 in a step where it fires).</summary>
    public long[] TokensSinceFired { get; } = new long[latents];

    /// <summary>Per latent: rows of the current step in which it fired (clean pass).</summary>
    public long[] StepCounts { get; } = new long[latents];

    /// <summary>Clears the step's counts before a backward pass fills them.</summary>
    public void BeginStep() => Array.Clear(StepCounts);

    /// <summary>Moves the history on by a step of <paramref name="batchRows"/> tokens.</summary>
    public void EndStep(int batchRows)
    {
        for (var i = 0; i < TokensSinceFired.Length; i++)
        {
            TokensSinceFired[i] = StepCounts[i] > 0 ? 0 : TokensSinceFired[i] + batchRows;
        }
    }

    /// <summary>Forgets the history (a reinitialised SAE).</summary>
    public void ClearHistory() => Array.Clear(TokensSinceFired);

    /// <summary>The inactivity deviation of the step's counts (expected frequency: the batch's mean firing frequency).</summary>
    public double InactivityDeviationOfStep(int batchRows, InactivityMeasure measure) => InactivityDeviation.FromCounts(StepCounts, batchRows, measure);

    /// <summary>Share of latents that have not fired for <paramref name="windowTokens"/> tokens (0 until that many tokens were seen).</summary>
    public double DeadFraction(long windowTokens, long tokensSeen)
    {
        if (tokensSeen < windowTokens)
        {
            return 0;
        }

        var dead = 0;
        foreach (var t in TokensSinceFired)
        {
            if (t >= windowTokens)
            {
                dead++;
            }
        }

        return (double)dead / TokensSinceFired.Length;
    }

    /// <summary>The latents that have not fired for <paramref name="windowTokens"/> tokens, in increasing order.</summary>
    public int[] DeadLatents(long windowTokens)
    {
        var dead = new List<int>();
        for (var i = 0; i < TokensSinceFired.Length; i++)
        {
            if (TokensSinceFired[i] >= windowTokens)
            {
                dead.Add(i);
            }
        }

        return [.. dead];
    }
}
