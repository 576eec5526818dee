using System.Globalization;

namespace SparseDictionary;

/// <summary>
/// Checks what an <see cref="IActivation"/> returned for one row before the library stores it: the count in
/// [0, capacity], every index in [0, latent count) and distinct, every value finite. The sparse kernels read and write
/// weight rows through the stored indices, so an index that escaped this check would make them read outside W_dec.
/// </summary>
/// <remarks>
/// O(count) per row. Indices in increasing order (what <see cref="TopKActivation"/> and <see cref="ReLUActivation"/>
/// return) are distinct by that order alone; any other order is checked with a per-thread stamp array of one int per
/// latent, reused from row to row.
/// </remarks>
internal static class ActivationOutput
{
    /// <summary>Per thread: for each latent, the stamp of the last row in which it was seen (out-of-order rows only).</summary>
    [ThreadStatic]
    private static int[]? t_stamps;

    /// <summary>Per thread: the stamp of the row being checked.</summary>
    [ThreadStatic]
    private static int t_stamp;

    /// <summary>Throws unless the activation's output for one row is valid.</summary>
    /// <param name="activation">The activation that produced the row (named in the message).</param>
    /// <param name="row">The row's index in the batch (named in the message).</param>
    /// <param name="count">The count the activation returned.</param>
    /// <param name="capacity">The activation's capacity for <paramref name="latentCount"/> latents.</param>
    /// <param name="latentCount">The SAE's latent count.</param>
    /// <param name="indices">The index slot the activation wrote (at least <paramref name="capacity"/> long).</param>
    /// <param name="values">The value slot the activation wrote.</param>
    /// <param name="preActivations">The row's pre-activations when at hand (to say whether a non-finite value came from them), else empty.</param>
    /// <exception cref="InvalidOperationException">The output breaks the <see cref="IActivation"/> contract; the message names the activation, the row and the bad value.</exception>
    public static void Validate(IActivation activation, int row, int count, int capacity, int latentCount, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, ReadOnlySpan<float> preActivations)
    {
        if ((uint)count > (uint)capacity)
        {
            throw new InvalidOperationException(Invariant(
                $"The activation {activation.Name} returned {count} active latents for row {row}; expected 0 to {capacity} (its capacity for {latentCount} latents)."));
        }

        var ascending = true;
        var previous = -1;
        for (var j = 0; j < count; j++)
        {
            var index = indices[j];
            if ((uint)index >= (uint)latentCount)
            {
                throw new InvalidOperationException(Invariant(
                    $"The activation {activation.Name} returned the latent index {index} at position {j} of row {row}; expected an index in [0, {latentCount})."));
            }

            ascending &= index > previous;
            previous = index;
            var value = values[j];
            if (!float.IsFinite(value))
            {
                var pre = (uint)index < (uint)preActivations.Length ? preActivations[index] : value;
                var cause = float.IsFinite(pre)
                    ? string.Empty
                    : Invariant($" Its pre-activation is {pre}: the input or the SAE's weights are too large, or the weights hold non-finite values.");
                throw new InvalidOperationException(Invariant(
                    $"The activation {activation.Name} returned the value {value} for latent {index} (position {j}) of row {row}; code values must be finite.{cause}"));
            }
        }

        if (!ascending)
        {
            CheckDistinct(activation, row, indices[..count], latentCount);
        }
    }

    /// <summary>Throws if an index appears twice in <paramref name="indices"/> (all already known to be in range).</summary>
    private static void CheckDistinct(IActivation activation, int row, ReadOnlySpan<int> indices, int latentCount)
    {
        var stamps = t_stamps;
        if (stamps is null || stamps.Length < latentCount)
        {
            stamps = t_stamps = new int[latentCount];
            t_stamp = 0;
        }

        var stamp = ++t_stamp;
        if (stamp == int.MaxValue)
        {
            // Stamps are about to wrap: start over from a clean array.
            Array.Clear(stamps);
            stamp = t_stamp = 1;
        }

        for (var j = 0; j < indices.Length; j++)
        {
            var index = indices[j];
            if (stamps[index] == stamp)
            {
                var first = indices[..j].IndexOf(index);
                throw new InvalidOperationException(Invariant(
                    $"The activation {activation.Name} returned the latent index {index} twice in row {row} (positions {first} and {j}); active indices must be distinct."));
            }

            stamps[index] = stamp;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
