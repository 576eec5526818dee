using Microsoft.Extensions.Options;

namespace SparseDictionary;

/// <summary>Validates <see cref="SaeTrainerOptions"/>; each failure names the option, its value and the expected range.</summary>
public sealed class SaeTrainerOptionsValidator : IValidateOptions<SaeTrainerOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SaeTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Require(bool ok, string option, object value, string expected)
        {
            if (!ok)
            {
                failures.Add($"SaeTrainerOptions.{option} must be {expected} but is {value}.");
            }
        }

        Require(float.IsFinite(options.LearningRate) && options.LearningRate > 0, nameof(options.LearningRate), options.LearningRate, "finite and > 0");
        Require(options.Beta1 >= 0 && options.Beta1 < 1, nameof(options.Beta1), options.Beta1, "in [0, 1)");
        Require(options.Beta2 >= 0 && options.Beta2 < 1, nameof(options.Beta2), options.Beta2, "in [0, 1)");
        Require(float.IsFinite(options.Epsilon) && options.Epsilon > 0, nameof(options.Epsilon), options.Epsilon, "finite and > 0");
        Require(float.IsFinite(options.WeightDecay) && options.WeightDecay >= 0, nameof(options.WeightDecay), options.WeightDecay, "finite and >= 0");
        Require(options.BatchSize >= 1, nameof(options.BatchSize), options.BatchSize, "at least 1");
        Require(options.TotalTokens >= options.BatchSize, nameof(options.TotalTokens), options.TotalTokens, $"at least BatchSize ({options.BatchSize}) so that one step runs");
        Require(options.WarmupSteps >= 0, nameof(options.WarmupSteps), options.WarmupSteps, ">= 0");
        Require(options.DecayFraction is >= 0 and <= 1, nameof(options.DecayFraction), options.DecayFraction, "in [0, 1]");
        Require(Enum.IsDefined(options.DecoderBiasInitialization), nameof(options.DecoderBiasInitialization), options.DecoderBiasInitialization, "None, Mean or GeometricMedian");
        Require(options.DeadLatentWindowTokens >= 1, nameof(options.DeadLatentWindowTokens), options.DeadLatentWindowTokens, "at least 1");
        Require(options.ProgressIntervalSteps >= 1, nameof(options.ProgressIntervalSteps), options.ProgressIntervalSteps, "at least 1");
        Require(float.IsFinite(options.DenoisingWeight) && options.DenoisingWeight >= 0, nameof(options.DenoisingWeight), options.DenoisingWeight, "finite and >= 0");
        if (options.Reinitialization is { } reinitialization)
        {
            var nested = new ReinitializationOptionsValidator().Validate(name, reinitialization);
            if (nested.Failed)
            {
                failures.AddRange(nested.Failures.Select(f => "SaeTrainerOptions.Reinitialization." + f["ReinitializationOptions.".Length..]));
            }
        }

        if (options.Checkpoints is { } checkpoints)
        {
            Require(!string.IsNullOrWhiteSpace(checkpoints.Directory), "Checkpoints.Directory", $"'{checkpoints.Directory}'", "a folder path");
            Require(checkpoints.IntervalSteps >= 1, "Checkpoints.IntervalSteps", checkpoints.IntervalSteps, "at least 1");
            Require(checkpoints.Keep >= 1, "Checkpoints.Keep", checkpoints.Keep, "at least 1");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
