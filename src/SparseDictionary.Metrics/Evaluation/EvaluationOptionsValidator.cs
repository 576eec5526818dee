using Microsoft.Extensions.Options;

namespace SparseDictionary.Metrics;

/// <summary>Validates <see cref="EvaluationOptions"/>; each failure names the option, its value and the expected range.</summary>
public sealed class EvaluationOptionsValidator : IValidateOptions<EvaluationOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, EvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.BatchSize < 1)
        {
            failures.Add($"EvaluationOptions.BatchSize must be at least 1 but is {options.BatchSize}.");
        }

        if (options.MaxRows < 1)
        {
            failures.Add($"EvaluationOptions.MaxRows must be at least 1 but is {options.MaxRows}.");
        }

        if (options.Names is { } names && names.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("EvaluationOptions.Names must hold non-empty names but holds an empty one.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
