using System.Diagnostics;
using SparseDictionary;

/// <summary>
/// Prints a run's progress as one line at most every <see cref="Interval"/>: step, samples per second, FVU and the
/// time left, plus every reinitialisation as it happens.
/// </summary>
/// <param name="label">Names the run in each line, e.g. "seed 0 mfr".</param>
internal sealed class RunProgress(string label) : IProgress<TrainingProgress>
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
    private readonly Stopwatch _sinceLastLine = Stopwatch.StartNew();

    public void Report(TrainingProgress value)
    {
        foreach (var reinitialization in value.Reinitializations)
        {
            Console.WriteLine($"  {label}: SAE {reinitialization.SaeIndex + 1} reinitialised at step {reinitialization.Step} (inactivity deviation {reinitialization.Deviation:F3})");
        }

        if (_sinceLastLine.Elapsed < Interval && value.Step < value.TotalSteps)
        {
            return;
        }

        _sinceLastLine.Restart();
        var left = value.TokensPerSecond > 0
            ? TimeSpan.FromSeconds((value.TotalSteps - value.Step) * (double)value.Tokens / value.Step / value.TokensPerSecond)
            : TimeSpan.Zero;
        var fvu = value.Saes.Average(s => s.FractionOfVarianceUnexplained);
        Console.WriteLine($"  {label}: step {value.Step:N0} / {value.TotalSteps:N0} ({100.0 * value.Step / value.TotalSteps:F1} %), {value.TokensPerSecond:N0} samples/s, FVU {fvu:F4}, {left:hh\\:mm\\:ss} left");
    }
}
