namespace SparseDictionary;

/// <summary>
/// How unevenly an SAE's latents fire: the mean relative deviation of the firing frequencies from their expected value
/// (seed 001, "Enhancing Neural Network Interpretability with Feature-Aligned Sparse Autoencoders", section 3.3 and
/// figure 8), the signal that decides reinitialisation.
/// </summary>
/// <remarks>
/// With f_i the share of rows in which latent i fires and p the expected frequency (k/h for TopK):
/// Linear D = (1/h) Σ_i |f_i - p| / p; Cubed D³ = (1/h) Σ_i (|f_i - p| / p)³. Both are 0 when every latent fires at
/// frequency p; a latent that never fires contributes 1/h.
/// </remarks>
public static class InactivityDeviation
{
    /// <summary>The deviation of <paramref name="frequencies"/> from <paramref name="expectedFrequency"/>.</summary>
    /// <param name="frequencies">Per-latent firing frequencies f_i (h = length, at least 1).</param>
    /// <param name="expectedFrequency">p, finite and &gt; 0.</param>
    /// <param name="measure">Linear (the paper) or cubed (the authors' code).</param>
    /// <returns>D, at least 0.</returns>
    /// <exception cref="ArgumentOutOfRangeException">No frequency, or <paramref name="expectedFrequency"/> is not finite and positive.</exception>
    public static double Compute(ReadOnlySpan<double> frequencies, double expectedFrequency, InactivityMeasure measure)
    {
        if (frequencies.IsEmpty)
        {
            throw new ArgumentOutOfRangeException(nameof(frequencies), "The frequencies are empty; at least one latent's frequency is needed.");
        }

        if (!(expectedFrequency > 0 && double.IsFinite(expectedFrequency)))
        {
            throw new ArgumentOutOfRangeException(nameof(expectedFrequency), expectedFrequency, $"The expected firing frequency must be finite and > 0 but is {expectedFrequency}.");
        }

        var cubed = measure == InactivityMeasure.Cubed;
        var sum = 0.0;
        foreach (var f in frequencies)
        {
            var relative = Math.Abs(f - expectedFrequency) / expectedFrequency;
            sum += cubed ? relative * relative * relative : relative;
        }

        return sum / frequencies.Length;
    }

    /// <summary>
    /// The deviation of one batch from per-latent firing counts over <paramref name="rows"/> rows, with the expected
    /// frequency taken as the batch's mean firing frequency p = Σ_i counts_i / (rows · h) (= k/h for TopK when every
    /// row keeps k positive values). Returns 0 when nothing fired.
    /// </summary>
    internal static double FromCounts(ReadOnlySpan<long> counts, int rows, InactivityMeasure measure)
    {
        var total = 0L;
        foreach (var c in counts)
        {
            total += c;
        }

        if (total == 0 || rows == 0)
        {
            return 0;
        }

        var frequencies = new double[counts.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            frequencies[i] = counts[i] / (double)rows;
        }

        return Compute(frequencies, total / ((double)rows * counts.Length), measure);
    }
}
