using Microsoft.Extensions.Options;

namespace SparseDictionary;

/// <summary>Validates <see cref="SyntheticFeatureOptions"/>; each failure names the option, its value and the expected range.</summary>
public sealed class SyntheticFeatureOptionsValidator : IValidateOptions<SyntheticFeatureOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SyntheticFeatureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new OptionsFailures(nameof(SyntheticFeatureOptions));
        failures.Require(options.InputDimension >= 1, nameof(options.InputDimension), options.InputDimension, "at least 1");
        failures.Require(options.FeatureCount >= 1, nameof(options.FeatureCount), options.FeatureCount, "at least 1");
        failures.Require(options.GroupCount >= 1 && options.GroupCount <= options.FeatureCount, nameof(options.GroupCount), options.GroupCount, $"in [1, FeatureCount = {options.FeatureCount}]");
        var groupSize = options.GroupCount >= 1 ? options.FeatureCount / options.GroupCount : 0;
        failures.Require(options.ActiveFeatures >= 1 && options.ActiveFeatures <= groupSize, nameof(options.ActiveFeatures), options.ActiveFeatures, $"in [1, group size S = floor({options.FeatureCount} / {options.GroupCount}) = {groupSize}]");
        failures.Require(options.Decay > 0 && options.Decay <= 1, nameof(options.Decay), options.Decay, "in (0, 1]");
        failures.Require(options.Length is null or >= 1, nameof(options.Length), options.Length, "null or at least 1");
        failures.Require(Enum.IsDefined(options.ActiveSetMode), nameof(options.ActiveSetMode), options.ActiveSetMode, $"one of {string.Join(", ", Enum.GetNames<SyntheticActiveSetMode>())}");
        failures.Require(options.ChunkSize >= 1, nameof(options.ChunkSize), options.ChunkSize, "at least 1");
        failures.Require((long)options.FeatureCount * options.InputDimension <= Array.MaxLength, nameof(options.FeatureCount), options.FeatureCount, "small enough that G x d fits one buffer");
        return failures.Result;
    }
}
