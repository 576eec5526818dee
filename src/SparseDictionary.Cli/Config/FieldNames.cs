using System.Text.Json;
using System.Text.RegularExpressions;

namespace SparseDictionary.Cli;

/// <summary>
/// Rewrites the library's validation messages, which name an options property ("SaeTrainerOptions.LearningRate must
/// be ..."), so that they name the flag and the config field the user sets ("--lr (trainer.learningRate) must be ...").
/// </summary>
internal static partial class FieldNames
{
    private static readonly Dictionary<string, string> Sections = new(StringComparer.Ordinal)
    {
        ["SaeTrainerOptions"] = "trainer",
        ["SyntheticFeatureOptions"] = "data.synthetic",
        ["AuxKOptions"] = "auxK",
        ["MutualFeatureOptions"] = "mfr",
    };

    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["SaeTrainerOptions.LearningRate"] = "--lr",
        ["SaeTrainerOptions.Beta1"] = "--beta1",
        ["SaeTrainerOptions.Beta2"] = "--beta2",
        ["SaeTrainerOptions.Epsilon"] = "--epsilon",
        ["SaeTrainerOptions.WeightDecay"] = "--weight-decay",
        ["SaeTrainerOptions.BatchSize"] = "--batch-size",
        ["SaeTrainerOptions.TotalTokens"] = "--tokens",
        ["SaeTrainerOptions.WarmupSteps"] = "--warmup-steps",
        ["SaeTrainerOptions.DecayFraction"] = "--decay-fraction",
        ["SaeTrainerOptions.DecoderBiasInitialization"] = "--bias-init",
        ["SaeTrainerOptions.DeadLatentWindowTokens"] = "--dead-window",
        ["SaeTrainerOptions.ProgressIntervalSteps"] = "--progress-interval",
        ["SaeTrainerOptions.DenoisingWeight"] = "--denoising-weight",
        ["SaeTrainerOptions.Reinitialization.Steps"] = "--reinit-steps",
        ["SaeTrainerOptions.Reinitialization.Measure"] = "--reinit-measure",
        ["SaeTrainerOptions.Reinitialization.Threshold"] = "--reinit-threshold",
        ["SaeTrainerOptions.Checkpoints.Directory"] = "--checkpoint-dir",
        ["SaeTrainerOptions.Checkpoints.IntervalSteps"] = "--checkpoint-interval",
        ["SaeTrainerOptions.Checkpoints.Keep"] = "--checkpoint-keep",
        ["SyntheticFeatureOptions.InputDimension"] = "--dimension",
        ["SyntheticFeatureOptions.FeatureCount"] = "--features",
        ["SyntheticFeatureOptions.GroupCount"] = "--groups",
        ["SyntheticFeatureOptions.ActiveFeatures"] = "--active",
        ["SyntheticFeatureOptions.Decay"] = "--decay",
        ["SyntheticFeatureOptions.ChunkSize"] = "--chunk-size",
        ["AuxKOptions.KAux"] = "--auxk-k",
        ["AuxKOptions.Coefficient"] = "--auxk-coefficient",
        ["AuxKOptions.DeadWindowTokens"] = "--auxk-window",
        ["MutualFeatureOptions.Coefficient"] = "--mfr-alpha",
        ["MutualFeatureOptions.WarmupSteps"] = "--mfr-warmup",
        ["MutualFeatureOptions.RefreshInterval"] = "--mfr-refresh",
    };

    /// <summary><paramref name="message"/> with every "Options.Property" replaced by "--flag (config.field)".</summary>
    public static string Rewrite(string message) => Qualified().Replace(message, match =>
    {
        var type = match.Groups[1].Value;
        var member = match.Groups[2].Value;
        var field = Sections[type] + "." + string.Join('.', member.Split('.').Select(JsonNamingPolicy.CamelCase.ConvertName));
        return Flags.TryGetValue($"{type}.{member}", out var flag) ? $"{flag} ({field})" : field;
    });

    [GeneratedRegex(@"\b(SaeTrainerOptions|SyntheticFeatureOptions|AuxKOptions|MutualFeatureOptions)\.([A-Z][A-Za-z0-9]*(?:\.[A-Z][A-Za-z0-9]*)*)")]
    private static partial Regex Qualified();
}
