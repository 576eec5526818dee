using Microsoft.Extensions.Options;

namespace SparseDictionary.Tests.Training;

/// <summary>Every options class has one validator whose failures name the option, the value and the range; constructors accept IOptions.</summary>
public sealed class OptionsValidatorTests
{
    [Fact]
    public void AuxK_NamesEveryBadOption()
    {
        var result = new AuxKOptionsValidator().Validate(null, new AuxKOptions { KAux = 0, Coefficient = float.NaN, DeadWindowTokens = 0 });
        result.Failures.Should().Equal(
            "AuxKOptions.KAux must be at least 1 but is 0.",
            "AuxKOptions.Coefficient must be finite and >= 0 but is NaN.",
            "AuxKOptions.DeadWindowTokens must be at least 1 but is 0.");
        FluentActions.Invoking(() => new AuxKRegularizer(new AuxKOptions { KAux = 0 })).Should().Throw<OptionsValidationException>().WithMessage("AuxKOptions.KAux must be at least 1 but is 0.");
    }

    [Fact]
    public void Mfr_NamesEveryBadOption()
    {
        var result = new MutualFeatureOptionsValidator().Validate(null, new MutualFeatureOptions { Coefficient = -1, WarmupSteps = -2, RefreshInterval = 0 });
        result.Failures.Should().HaveCount(3).And.Contain("MutualFeatureOptions.WarmupSteps must be >= 0 but is -2.");
    }

    [Fact]
    public void Reinitialization_IsValidatedAloneAndInsideTheTrainerOptions()
    {
        var bad = new ReinitializationOptions { Steps = 0, Threshold = double.PositiveInfinity };
        new ReinitializationOptionsValidator().Validate(null, bad).Failures.Should().Equal(
            "ReinitializationOptions.Steps must be at least 1 but is 0.",
            "ReinitializationOptions.Threshold must be finite and >= 0 but is Infinity.");
        FluentActions.Invoking(() => new SaeTrainer(new SaeTrainerOptions { Reinitialization = bad })).Should().Throw<OptionsValidationException>()
            .Which.Failures.Should().Contain("SaeTrainerOptions.Reinitialization.Steps must be at least 1 but is 0.");
    }

    [Fact]
    public void SyntheticData_NamesEveryBadOption()
    {
        var result = new SyntheticFeatureOptionsValidator().Validate(null, new SyntheticFeatureOptions { InputDimension = 0, Decay = 2, ChunkSize = 0 });
        result.Failures.Should().Equal(
            "SyntheticFeatureOptions.InputDimension must be at least 1 but is 0.",
            "SyntheticFeatureOptions.Decay must be in (0, 1] but is 2.",
            "SyntheticFeatureOptions.ChunkSize must be at least 1 but is 0.");
    }

    [Fact]
    public void Evaluation_NamesEveryBadOption()
    {
        var result = new Metrics.EvaluationOptionsValidator().Validate(null, new Metrics.EvaluationOptions { BatchSize = 0, MaxRows = 0 });
        result.Failures.Should().Equal("EvaluationOptions.BatchSize must be at least 1 but is 0.", "EvaluationOptions.MaxRows must be at least 1 but is 0.");
    }

    [Fact]
    public void Constructors_AcceptIOptions()
    {
        new AuxKRegularizer(Microsoft.Extensions.Options.Options.Create(new AuxKOptions { KAux = 7 })).KAux.Should().Be(7);
        new MutualFeatureRegularizer(Microsoft.Extensions.Options.Options.Create(new MutualFeatureOptions { WarmupSteps = 9 })).WarmupSteps.Should().Be(9);
        new SyntheticFeatureSource(Microsoft.Extensions.Options.Options.Create(new SyntheticFeatureOptions { InputDimension = 8, FeatureCount = 16, GroupCount = 2, ActiveFeatures = 2 })).Dimension.Should().Be(8);
        new SaeTrainer(Microsoft.Extensions.Options.Options.Create(new SaeTrainerOptions { BatchSize = 3 })).Options.BatchSize.Should().Be(3);
    }
}
