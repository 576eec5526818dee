namespace SparseDictionary;

/// <summary>
/// Learning rate of step t (0-based) of T: lr · w(t) · c(t), with linear warm-up w(t) = min(1, (t + 1) / W) and a
/// linear decay to 0 over the last f·T steps, c(t) = min(1, (T - t) / (f·T)).
/// </summary>
internal static class LearningRateSchedule
{
    public static float At(long step, long totalSteps, SaeTrainerOptions options)
    {
        double factor = 1;
        if (options.WarmupSteps > 0)
        {
            factor *= Math.Min(1.0, (step + 1.0) / options.WarmupSteps);
        }

        var decaySteps = options.DecayFraction * totalSteps;
        if (decaySteps > 0)
        {
            factor *= Math.Min(1.0, (totalSteps - step) / decaySteps);
        }

        return (float)(options.LearningRate * factor);
    }
}
