using Microsoft.Extensions.Options;

namespace SparseDictionary;

/// <summary>Validates <see cref="MutualFeatureOptions"/>; each failure names the option, its value and the expected range.</summary>
public sealed class MutualFeatureOptionsValidator : IValidateOptions<MutualFeatureOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, MutualFeatureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new OptionsFailures(nameof(MutualFeatureOptions));
        failures.Require(float.IsFinite(options.Coefficient) && options.Coefficient >= 0, nameof(options.Coefficient), options.Coefficient, "finite and >= 0");
        failures.Require(options.WarmupSteps >= 0, nameof(options.WarmupSteps), options.WarmupSteps, ">= 0");
        failures.Require(options.RefreshInterval >= 1, nameof(options.RefreshInterval), options.RefreshInterval, "at least 1");
        return failures.Result;
    }
}
