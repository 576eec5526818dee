using System.Diagnostics;
using Spectre.Console;

namespace SparseDictionary.Cli;

/// <summary>
/// Shows training progress: a live Spectre progress bar with the figures when standard output is a terminal, plain
/// lines (the first report, then at most one every <see cref="PlainInterval"/>, and the last) when it is redirected.
/// Every report is also written to the metrics log and passed to the context's observer.
/// </summary>
internal static class TrainingDisplay
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    /// <summary>Runs <paramref name="train"/> with a progress sink that displays and records each report.</summary>
    public static TrainingResult Run(CliContext context, long totalSteps, MetricsLog log, Func<IProgress<TrainingProgress>, TrainingResult> train)
    {
        if (!context.Interactive)
        {
            var since = Stopwatch.StartNew();
            var first = true;
            return train(new Sink(context, log, p =>
            {
                if (first || since.Elapsed >= PlainInterval || p.Step >= p.TotalSteps)
                {
                    context.Out.WriteLine(ProgressText.Line(p));
                    context.Out.Flush();
                    since.Restart();
                    first = false;
                }
            }));
        }

        return context.Console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .Start(progressContext =>
            {
                var task = progressContext.AddTask("starting", maxValue: Math.Max(1, totalSteps));
                return train(new Sink(context, log, p =>
                {
                    task.Value = p.Step;
                    task.Description = Markup.Escape(ProgressText.Line(p));
                }));
            });
    }

    /// <summary>Records, displays and forwards each report; reinitialisations are announced as they happen.</summary>
    private sealed class Sink(CliContext context, MetricsLog log, Action<TrainingProgress> display) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            log.Append(value);
            foreach (var r in value.Reinitializations)
            {
                context.Console.MarkupLineInterpolated($"SAE {r.SaeIndex} reinitialised at step {r.Step} (inactivity deviation {r.Deviation:F3})");
            }

            display(value);
            context.ProgressObserver?.Invoke(value);
        }
    }
}
