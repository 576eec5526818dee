namespace SparseDictionary;

/// <summary>One SAE reinitialised by the trainer (see <see cref="ReinitializationOptions"/>).</summary>
/// <param name="Step">The 0-based step whose batch showed the deviation; the new weights train from the next step.</param>
/// <param name="SaeIndex">The SAE's index in the list given to the trainer.</param>
/// <param name="Deviation">The SAE's inactivity deviation on that batch (above the threshold).</param>
/// <param name="Seed">The seed of the new weights (<see cref="SparseAutoencoder.InitializeWeights"/>).</param>
public sealed record ReinitializationEvent(long Step, int SaeIndex, double Deviation, int Seed);
