using System.Globalization;
using SparseDictionary.Randomness;

namespace SparseDictionary;

/// <summary>Additive Gaussian noise on the input: x_noised = x + sigma · n, n ~ N(0, I).</summary>
/// <remarks>The noise of row b at step t depends only on (seed, t, b).</remarks>
public sealed class GaussianNoiser : INoiser
{
    private readonly ulong _seed;

    /// <summary>Creates a Gaussian noiser.</summary>
    /// <param name="standardDeviation">sigma, finite and &gt;= 0 (in the units of the inputs).</param>
    /// <param name="seed">Seed of the noise.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="standardDeviation"/> is negative, NaN or infinite.</exception>
    public GaussianNoiser(float standardDeviation, int seed = 0)
    {
        if (!float.IsFinite(standardDeviation) || standardDeviation < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, $"The noise standard deviation must be finite and >= 0 but is {standardDeviation}.");
        }

        StandardDeviation = standardDeviation;
        Seed = seed;
        _seed = DeterministicRandom.DeriveSeed((ulong)(uint)seed, 0x6A55);
    }

    /// <summary>sigma: the standard deviation of the added noise.</summary>
    public float StandardDeviation { get; }

    /// <summary>Seed of the noise.</summary>
    public int Seed { get; }

    /// <inheritdoc />
    public string Name => string.Create(CultureInfo.InvariantCulture, $"Gaussian({StandardDeviation:G4})");

    /// <inheritdoc />
    public void Apply(Matrix clean, Matrix destination, long step)
    {
        var sigma = StandardDeviation;
        NoiseRows.Apply(clean, destination, _seed, step, (x, y, random) =>
        {
            for (var c = 0; c < x.Length; c++)
            {
                y[c] = x[c] + (sigma * (float)random.NextGaussian());
            }
        });
    }
}
