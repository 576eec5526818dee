using SparseDictionary.Randomness;

namespace SparseDictionary.Tests.Randomness;

/// <summary>The library's seeded generator: the same stream for the same seed, in range, with the moments of its distributions.</summary>
public sealed class DeterministicRandomTests
{
    [Fact]
    public void SameSeed_SameStream_OtherSeed_OtherStream()
    {
        var a = new DeterministicRandom(42);
        var b = new DeterministicRandom(42);
        var c = new DeterministicRandom(43);
        var first = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();
        Enumerable.Range(0, 100).Select(_ => b.NextUInt64()).Should().Equal(first);
        Enumerable.Range(0, 100).Select(_ => c.NextUInt64()).Should().NotEqual(first);
        DeterministicRandom.DeriveSeed(7, 1).Should().NotBe(DeterministicRandom.DeriveSeed(7, 2)).And.Be(DeterministicRandom.DeriveSeed(7, 1));
    }

    [Fact]
    public void Draws_StayInRange_WithTheRightMoments()
    {
        const int n = 200_000;
        var random = new DeterministicRandom(5);
        double sum = 0, sumSquares = 0, gaussianSum = 0, gaussianSquares = 0;
        var counts = new int[7];
        for (var i = 0; i < n; i++)
        {
            var u = random.NextDouble();
            u.Should().BeInRange(0, 1 - 1e-17);
            sum += u;
            sumSquares += u * u;
            counts[random.NextInt(7)]++;
            var g = random.NextGaussian();
            gaussianSum += g;
            gaussianSquares += g * g;
        }

        // Uniform: mean 1/2 (sd of the mean 0.29/sqrt(n) = 6.5e-4), E[u²] = 1/3 (se 0.30/sqrt(n) = 6.7e-4); 5 standard errors.
        (sum / n).Should().BeApproximately(0.5, 5 * 6.5e-4);
        (sumSquares / n).Should().BeApproximately(1.0 / 3, 5 * 6.7e-4);
        // NextInt(7): each bucket n/7 with sd sqrt(n · 1/7 · 6/7) = 156.
        counts.Should().OnlyContain(c => Math.Abs(c - (n / 7.0)) < 5 * 156);
        // Gaussian: mean 0 (se 2.2e-3), variance 1 (se sqrt(2/n) = 3.2e-3).
        (gaussianSum / n).Should().BeApproximately(0, 5 * 2.2e-3);
        (gaussianSquares / n).Should().BeApproximately(1, 5 * 3.2e-3);
    }
}
