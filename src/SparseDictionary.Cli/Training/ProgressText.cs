using System.Globalization;

namespace SparseDictionary.Cli;

/// <summary>The figures of a progress report as text: step, tokens per second, loss, FVU, L0, dead share and ETA.</summary>
internal static class ProgressText
{
    /// <summary>Time left at the report's throughput.</summary>
    public static TimeSpan? Eta(TrainingProgress p)
    {
        if (p.TokensPerSecond <= 0 || p.Step <= 0)
        {
            return null;
        }

        var tokensPerStep = (double)p.Tokens / p.Step;
        return TimeSpan.FromSeconds(Math.Min((p.TotalSteps - p.Step) * tokensPerStep / p.TokensPerSecond, TimeSpan.MaxValue.TotalSeconds / 2));
    }

    /// <summary>"loss 1.234 | FVU 0.1234 | L0 32.0 | dead 0.0%" (FVU, L0 and dead share averaged over the SAEs).</summary>
    public static string Figures(TrainingProgress p)
    {
        var fvu = p.Saes.Average(s => s.FractionOfVarianceUnexplained);
        var l0 = p.Saes.Average(s => s.MeanL0);
        var dead = p.Saes.Average(s => s.DeadLatentFraction);
        var mean = p.Saes.Count > 1 ? " (mean of SAEs)" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"loss {p.Loss:G5} | FVU {fvu:F4} | L0 {l0:F1} | dead {100 * dead:F1}%{mean}");
    }

    /// <summary>One plain progress line.</summary>
    public static string Line(TrainingProgress p)
    {
        var percent = p.TotalSteps > 0 ? 100.0 * p.Step / p.TotalSteps : 100;
        return string.Create(CultureInfo.InvariantCulture, $"step {p.Step:N0}/{p.TotalSteps:N0} ({percent:F1}%) | {p.TokensPerSecond:N0} tok/s | {Figures(p)} | ETA {Duration(Eta(p))}");
    }

    /// <summary>h:mm:ss, or "?" when unknown.</summary>
    public static string Duration(TimeSpan? span) =>
        span is { } s ? string.Create(CultureInfo.InvariantCulture, $"{(int)s.TotalHours}:{s.Minutes:D2}:{s.Seconds:D2}") : "?";
}
