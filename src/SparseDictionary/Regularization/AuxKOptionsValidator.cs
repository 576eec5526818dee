using Microsoft.Extensions.Options;

namespace SparseDictionary;

/// <summary>Validates <see cref="AuxKOptions"/>; each failure names the option, its value and the expected range.</summary>
public sealed class AuxKOptionsValidator : IValidateOptions<AuxKOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AuxKOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new OptionsFailures(nameof(AuxKOptions));
        failures.Require(options.KAux >= 1, nameof(options.KAux), options.KAux, "at least 1");
        failures.Require(float.IsFinite(options.Coefficient) && options.Coefficient >= 0, nameof(options.Coefficient), options.Coefficient, "finite and >= 0");
        failures.Require(options.DeadWindowTokens >= 1, nameof(options.DeadWindowTokens), options.DeadWindowTokens, "at least 1");
        return failures.Result;
    }
}
