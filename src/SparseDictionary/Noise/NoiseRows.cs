using SparseDictionary.Kernels;
using SparseDictionary.Randomness;

namespace SparseDictionary;

/// <summary>Shared plumbing of the built-in noisers: argument checks and a per-row generator seeded by (seed, step, row).</summary>
internal static class NoiseRows
{
    /// <summary>Runs <paramref name="noiseRow"/> on every row in parallel with a generator that depends only on (seed, step, row).</summary>
    public static void Apply(Matrix clean, Matrix destination, ulong seed, long step, Action<ReadOnlySpan<float>, Span<float>, DeterministicRandom> noiseRow)
    {
        ArgumentNullException.ThrowIfNull(clean);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (destination.Rows != clean.Rows || destination.Columns != clean.Columns)
        {
            throw new ArgumentException($"The destination is {destination.Rows} x {destination.Columns} but the clean batch is {clean.Rows} x {clean.Columns}.", nameof(destination));
        }

        if (clean.Span.Overlaps(destination.Span))
        {
            throw new ArgumentException("The destination shares memory with the clean batch; noise must go to a separate buffer.", nameof(destination));
        }

        var stepSeed = DeterministicRandom.DeriveSeed(seed, (ulong)step);
        ParallelRows.For(clean.Rows, (start, end) =>
        {
            // One generator per chunk of rows, reseeded per row: the numbers depend only on (seed, step, row).
            var random = new DeterministicRandom(0);
            for (var r = start; r < end; r++)
            {
                random.Reseed(DeterministicRandom.DeriveSeed(stepSeed, (ulong)r));
                noiseRow(clean.Row(r), destination.Row(r), random);
            }
        });
    }
}
