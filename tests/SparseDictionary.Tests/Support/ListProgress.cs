
namespace SparseDictionary.Tests.Support;

/// <summary>Collects progress reports on the training thread, optionally calling back on each.</summary>
internal sealed class ListProgress(List<TrainingProgress> reports, Action<TrainingProgress>? onReport = null) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value)
    {
        reports.Add(value);
        onReport?.Invoke(value);
    }
}
