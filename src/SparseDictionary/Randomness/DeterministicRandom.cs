namespace SparseDictionary.Randomness;

/// <summary>
/// A small, fast, seedable pseudo-random generator (xoshiro256** state seeded through SplitMix64), used wherever the
/// library draws random numbers so that the same seed gives the same numbers on every machine and .NET version.
/// </summary>
internal sealed class DeterministicRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;
    private double? _spareGaussian;

    /// <summary>Creates a generator from a 64-bit seed.</summary>
    public DeterministicRandom(ulong seed) => Reseed(seed);

    /// <summary>Puts the generator in the state <c>new DeterministicRandom(seed)</c> starts in (reuse without allocating).</summary>
    public void Reseed(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
        _spareGaussian = null;
    }

    /// <summary>Derives an independent seed from a parent seed and a stream number (e.g. an SAE index or a purpose tag).</summary>
    public static ulong DeriveSeed(ulong seed, ulong stream)
    {
        var x = seed ^ (0x9E3779B97F4A7C15UL * (stream + 1));
        return SplitMix(ref x);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>), without modulo bias (Lemire's method).</summary>
    public int NextInt(int maxExclusive)
    {
        var range = (ulong)maxExclusive;
        var product = (UInt128)NextUInt64() * range;
        var low = (ulong)product;
        if (low < range)
        {
            var threshold = (0 - range) % range;
            while (low < threshold)
            {
                product = (UInt128)NextUInt64() * range;
                low = (ulong)product;
            }
        }

        return (int)(product >> 64);
    }

    /// <summary>A standard normal sample (Marsaglia's polar method).</summary>
    public double NextGaussian()
    {
        if (_spareGaussian is { } spare)
        {
            _spareGaussian = null;
            return spare;
        }

        double u, v, s;
        do
        {
            u = (2 * NextDouble()) - 1;
            v = (2 * NextDouble()) - 1;
            s = (u * u) + (v * v);
        }
        while (s >= 1 || s == 0);

        var factor = Math.Sqrt(-2 * Math.Log(s) / s);
        _spareGaussian = v * factor;
        return u * factor;
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
