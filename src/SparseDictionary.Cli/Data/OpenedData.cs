namespace SparseDictionary.Cli;

/// <summary>A data source opened from a <see cref="DataConfig"/>, with what describes it to the user.</summary>
/// <param name="Source">The rows.</param>
/// <param name="Description">E.g. "3 .npy shards (30,000 rows x 64)".</param>
/// <param name="GroundTruth">The true feature directions of synthetic data (rows), or null.</param>
/// <param name="Label">Names the data in errors, e.g. the file or folder.</param>
internal sealed record OpenedData(IActivationSource Source, string Description, Matrix? GroundTruth, string Label) : IDisposable
{
    /// <summary>Closes file sources.</summary>
    public void Dispose() => (Source as IDisposable)?.Dispose();
}
