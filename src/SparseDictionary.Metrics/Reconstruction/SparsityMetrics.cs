
namespace SparseDictionary.Metrics;

/// <summary>
/// Sparsity of an SAE's codes: mean L0, per-latent firing frequencies, the share of dead latents, the deviation of the
/// firing frequencies from uniform use, and a log-scale histogram of them.
/// </summary>
/// <remarks>
/// A latent fires on a row when it is stored in that row with a nonzero value; a stored value of exactly 0 (e.g. a
/// ReLU output of 0 kept by TopK) does not count.
/// </remarks>
public static class SparsityMetrics
{
    /// <summary>Mean number of nonzero latents per row.</summary>
    /// <param name="codes">Codes with at least one row; values finite.</param>
    /// <returns>L0, in [0, LatentCount].</returns>
    /// <remarks>L0 = (1/n) Σ_b |{i : z_bi ≠ 0}| (Gao et al. 2024; Bricken et al. 2023). Stored zeros are not counted.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="codes"/> is null.</exception>
    /// <exception cref="ArgumentException">The codes have no rows, or a value is NaN or infinite.</exception>
    public static double MeanL0(SparseCodes codes)
    {
        ValidateCodes(codes);
        long total = 0;
        for (var b = 0; b < codes.Rows; b++)
        {
            total += CountNonzero(codes.Values(b));
        }

        return total / (double)codes.Rows;
    }

    /// <summary>Per latent, the share of rows on which it fires (is stored with a nonzero value).</summary>
    /// <param name="codes">Codes with at least one row; values finite.</param>
    /// <returns>An array of LatentCount frequencies in [0, 1].</returns>
    /// <remarks>f_i = (1/n) Σ_b 1[z_bi ≠ 0] (Bricken et al. 2023, feature density). Σ_i f_i equals <see cref="MeanL0"/>.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="codes"/> is null.</exception>
    /// <exception cref="ArgumentException">The codes have no rows, or a value is NaN or infinite.</exception>
    public static double[] FiringFrequencies(SparseCodes codes)
    {
        ValidateCodes(codes);
        var counts = new long[codes.LatentCount];
        AddFiringCounts(codes, counts);
        var frequencies = new double[counts.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            frequencies[i] = counts[i] / (double)codes.Rows;
        }

        return frequencies;
    }

    /// <summary>Share of latents that never fire on these rows.</summary>
    /// <param name="codes">Codes with at least one row; values finite.</param>
    /// <returns>A share in [0, 1].</returns>
    /// <remarks>
    /// dead = (1/h) |{i : f_i = 0}|, h = LatentCount (Gao et al. 2024 count a latent dead when it has not fired in a
    /// window of tokens; here the window is exactly the given rows).
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="codes"/> is null.</exception>
    /// <exception cref="ArgumentException">The codes have no rows, or a value is NaN or infinite.</exception>
    public static double DeadLatentShare(SparseCodes codes)
    {
        ValidateCodes(codes);
        var counts = new long[codes.LatentCount];
        AddFiringCounts(codes, counts);
        return DeadShare(counts);
    }

    /// <summary>Mean relative deviation of the firing frequencies from the uniform frequency k/h.</summary>
    /// <param name="frequencies">Per-latent firing frequencies in [0, 1], at least one (h = length).</param>
    /// <param name="k">Active latents per row (e.g. TopK's k), in [1, h].</param>
    /// <returns>0 when every latent fires with frequency k/h; a latent that never fires contributes 1/h.</returns>
    /// <remarks>
    /// D = (1/h) Σ_i |f_i - k/h| / (k/h), the inactivity measure of seed 001's paper. See
    /// <see cref="InactivityDeviationCubed"/> for the cubed variant of the authors' code.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="frequencies"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="frequencies"/> is empty or holds a value outside [0, 1] (or NaN), or <paramref name="k"/> is outside [1, h].
    /// </exception>
    public static double InactivityDeviation(double[] frequencies, int k) => Deviation(frequencies, k, cubed: false);

    /// <summary>Mean cubed relative deviation of the firing frequencies from the uniform frequency k/h.</summary>
    /// <param name="frequencies">Per-latent firing frequencies in [0, 1], at least one (h = length).</param>
    /// <param name="k">Active latents per row (e.g. TopK's k), in [1, h].</param>
    /// <returns>0 when every latent fires with frequency k/h; large deviations weigh more than in <see cref="InactivityDeviation"/>.</returns>
    /// <remarks>D³ = (1/h) Σ_i (|f_i - k/h| / (k/h))³, the variant in the code of seed 001's authors.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="frequencies"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="frequencies"/> is empty or holds a value outside [0, 1] (or NaN), or <paramref name="k"/> is outside [1, h].
    /// </exception>
    public static double InactivityDeviationCubed(double[] frequencies, int k) => Deviation(frequencies, k, cubed: true);

    /// <summary>Histogram of log10 of the firing frequencies over [<paramref name="minLog10"/>, 0] in equal bins.</summary>
    /// <param name="frequencies">Per-latent firing frequencies in [0, 1], at least one.</param>
    /// <param name="bins">Number of equal-width bins, at least 1.</param>
    /// <param name="minLog10">Lower end of the log10 range, finite and below 0.</param>
    /// <returns>Edges, counts per bin, and the number of latents that never fired.</returns>
    /// <remarks>
    /// Bin i covers [minLog10 + i w, minLog10 + (i + 1) w), w = -minLog10 / bins; the last bin also holds log10 f = 0
    /// (f = 1). Frequencies in (0, 10^minLog10) are clamped into the first bin; frequencies of exactly 0 are counted in
    /// <see cref="FiringHistogram.NeverFired"/> (the usual feature-density histogram, Bricken et al. 2023).
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="frequencies"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="frequencies"/> is empty or holds a value outside [0, 1], <paramref name="bins"/> is below 1, or
    /// <paramref name="minLog10"/> is not a finite negative number.
    /// </exception>
    public static FiringHistogram FiringHistogram(double[] frequencies, int bins = 20, double minLog10 = -8)
    {
        ValidateFrequencies(frequencies);
        if (bins < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(bins), bins, $"The histogram needs at least 1 bin, but bins was {bins}.");
        }

        if (!double.IsFinite(minLog10) || minLog10 >= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(minLog10), minLog10, $"minLog10 must be a finite number below 0, but was {minLog10}.");
        }

        var width = -minLog10 / bins;
        var edges = new double[bins + 1];
        for (var i = 0; i < bins; i++)
        {
            edges[i] = minLog10 + (i * width);
        }

        edges[bins] = 0;
        var counts = new int[bins];
        var neverFired = 0;
        foreach (var f in frequencies)
        {
            if (f == 0)
            {
                neverFired++;
                continue;
            }

            var bin = (int)Math.Floor((Math.Log10(f) - minLog10) / width);
            counts[Math.Clamp(bin, 0, bins - 1)]++;
        }

        return new FiringHistogram(edges, counts, neverFired);
    }

    internal static int CountNonzero(ReadOnlySpan<float> values)
    {
        var count = 0;
        foreach (var v in values)
        {
            if (v != 0)
            {
                count++;
            }
        }

        return count;
    }

    internal static void AddFiringCounts(SparseCodes codes, long[] counts)
    {
        for (var b = 0; b < codes.Rows; b++)
        {
            var indices = codes.Indices(b);
            var values = codes.Values(b);
            for (var p = 0; p < indices.Length; p++)
            {
                if (values[p] != 0)
                {
                    counts[indices[p]]++;
                }
            }
        }
    }

    internal static double DeadShare(long[] counts)
    {
        var dead = 0;
        foreach (var c in counts)
        {
            if (c == 0)
            {
                dead++;
            }
        }

        return dead / (double)counts.Length;
    }

    private static double Deviation(double[] frequencies, int k, bool cubed)
    {
        ValidateFrequencies(frequencies);
        var h = frequencies.Length;
        if (k < 1 || k > h)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must lie in [1, h] = [1, {h}] (h = the number of frequencies), but was {k}.");
        }

        var target = k / (double)h;
        var sum = 0.0;
        foreach (var f in frequencies)
        {
            var relative = Math.Abs(f - target) / target;
            sum += cubed ? relative * relative * relative : relative;
        }

        return sum / h;
    }

    private static void ValidateFrequencies(double[] frequencies)
    {
        ArgumentNullException.ThrowIfNull(frequencies);
        if (frequencies.Length == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(frequencies), "The frequencies are empty; at least one latent's frequency is needed.");
        }

        for (var i = 0; i < frequencies.Length; i++)
        {
            if (!(frequencies[i] >= 0 && frequencies[i] <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(frequencies), frequencies[i], $"Frequency {i} is {frequencies[i]}; firing frequencies must lie in [0, 1].");
            }
        }
    }

    private static void ValidateCodes(SparseCodes codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (codes.Rows == 0)
        {
            throw new ArgumentException($"The codes have no rows ({codes.Rows} x {codes.LatentCount} latents); at least one row is needed.", nameof(codes));
        }

        for (var b = 0; b < codes.Rows; b++)
        {
            var values = codes.Values(b);
            for (var p = 0; p < values.Length; p++)
            {
                if (!float.IsFinite(values[p]))
                {
                    throw new ArgumentException(
                        $"Row {b} stores value {values[p]} for latent {codes.Indices(b)[p]}; NaN or infinite values are not allowed.",
                        nameof(codes));
                }
            }
        }
    }
}
