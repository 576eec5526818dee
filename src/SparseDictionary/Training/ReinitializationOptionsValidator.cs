using Microsoft.Extensions.Options;

namespace SparseDictionary;

/// <summary>Validates <see cref="ReinitializationOptions"/>; each failure names the option, its value and the expected range.</summary>
public sealed class ReinitializationOptionsValidator : IValidateOptions<ReinitializationOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ReinitializationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new OptionsFailures(nameof(ReinitializationOptions));
        failures.Require(options.Steps >= 1, nameof(options.Steps), options.Steps, "at least 1");
        failures.Require(Enum.IsDefined(options.Measure), nameof(options.Measure), options.Measure, "Linear or Cubed");
        failures.Require(double.IsFinite(options.Threshold) && options.Threshold >= 0, nameof(options.Threshold), options.Threshold, "finite and >= 0");
        return failures.Result;
    }
}
