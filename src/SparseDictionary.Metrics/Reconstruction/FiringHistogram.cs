namespace SparseDictionary.Metrics;

/// <summary>A histogram of latent firing frequencies on a log10 scale, from <see cref="SparsityMetrics.FiringHistogram"/>.</summary>
/// <param name="BinEdges">The bins + 1 edges in log10(frequency), ascending from minLog10 to 0; bin i is [BinEdges[i], BinEdges[i + 1]), the last bin also includes 0.</param>
/// <param name="Counts">Latents per bin (frequencies below 10^minLog10 but above 0 are counted in the first bin).</param>
/// <param name="NeverFired">Latents with frequency exactly 0, which have no logarithm and are counted here instead of in a bin.</param>
public sealed record FiringHistogram(IReadOnlyList<double> BinEdges, IReadOnlyList<int> Counts, int NeverFired);
