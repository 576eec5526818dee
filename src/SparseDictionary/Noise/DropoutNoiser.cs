using System.Globalization;
using SparseDictionary.Randomness;

namespace SparseDictionary;

/// <summary>
/// Dropout on the input (seed 000's denoising training): each entry is zeroed independently with probability p, and
/// the kept entries are optionally scaled by 1/(1 - p).
/// </summary>
/// <remarks>
/// x_noised[b, c] = m[b, c] · x[b, c] · s, with m[b, c] ~ Bernoulli(1 - p) and s = 1/(1 - p) under inverted scaling
/// (the convention of PyTorch's <c>nn.Dropout</c>, which keeps E[x_noised] = x) or s = 1 without it. The mask of row b
/// at step t depends only on (seed, t, b).
/// </remarks>
public sealed class DropoutNoiser : INoiser
{
    private readonly ulong _seed;
    private readonly ulong _dropThreshold;
    private readonly float _scale;

    /// <summary>Creates a dropout noiser.</summary>
    /// <param name="rate">p: the probability of zeroing an entry, in [0, 1).</param>
    /// <param name="invertedScaling">Scale kept entries by 1/(1 - p) (default, as PyTorch does), or leave them unchanged.</param>
    /// <param name="seed">Seed of the masks.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1) or NaN.</exception>
    public DropoutNoiser(double rate, bool invertedScaling = true, int seed = 0)
    {
        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, $"The dropout rate must be in [0, 1) but is {rate}.");
        }

        Rate = rate;
        InvertedScaling = invertedScaling;
        Seed = seed;
        _seed = DeterministicRandom.DeriveSeed((ulong)(uint)seed, 0xD409);

        // An entry is dropped when its 32 random bits fall below p · 2^32.
        _dropThreshold = (ulong)Math.Round(rate * 4294967296.0);
        _scale = invertedScaling ? (float)(1 / (1 - rate)) : 1f;
    }

    /// <summary>p: the probability of zeroing an entry.</summary>
    public double Rate { get; }

    /// <summary>Whether kept entries are scaled by 1/(1 - p).</summary>
    public bool InvertedScaling { get; }

    /// <summary>Seed of the masks.</summary>
    public int Seed { get; }

    /// <inheritdoc />
    public string Name => string.Create(CultureInfo.InvariantCulture, $"Dropout({Rate:G4}{(InvertedScaling ? string.Empty : ", unscaled")})");

    /// <inheritdoc />
    public void Apply(Matrix clean, Matrix destination, long step)
    {
        var threshold = _dropThreshold;
        var scale = _scale;
        NoiseRows.Apply(clean, destination, _seed, step, (x, y, random) =>
        {
            var c = 0;
            while (c < x.Length)
            {
                // Two 32-bit draws from each 64-bit output.
                var bits = random.NextUInt64();
                y[c] = (bits & 0xFFFFFFFF) < threshold ? 0f : x[c] * scale;
                c++;
                if (c < x.Length)
                {
                    y[c] = (bits >> 32) < threshold ? 0f : x[c] * scale;
                    c++;
                }
            }
        });
    }
}
