using Microsoft.Extensions.Options;

namespace SparseDictionary;

/// <summary>
/// Collects the failures of one options object, each as "Type.Option must be expected but is value.", for the
/// library's <see cref="IValidateOptions{TOptions}"/> validators, and throws them together.
/// </summary>
internal sealed class OptionsFailures(string typeName)
{
    private readonly List<string> _failures = [];

    /// <summary>Records a failure unless <paramref name="ok"/>.</summary>
    public void Require(bool ok, string option, object? value, string expected)
    {
        if (!ok)
        {
            _failures.Add($"{typeName}.{option} must be {expected} but is {value ?? "null"}.");
        }
    }

    /// <summary>The validation result.</summary>
    public ValidateOptionsResult Result => _failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(_failures);

    /// <summary>Validates <paramref name="options"/> and throws <see cref="OptionsValidationException"/> naming every failure.</summary>
    public static TOptions ThrowIfInvalid<TOptions>(IValidateOptions<TOptions> validator, TOptions options)
        where TOptions : class
    {
        var result = validator.Validate(Microsoft.Extensions.Options.Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(TOptions), result.Failures);
        }

        return options;
    }
}
