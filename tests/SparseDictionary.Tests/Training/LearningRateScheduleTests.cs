namespace SparseDictionary.Tests.Training;

/// <summary>The learning-rate schedule on hand-computed steps: linear warm-up, constant, linear decay to 0 over the last share.</summary>
public sealed class LearningRateScheduleTests
{
    [Theory]
    [InlineData(0, 0.25)]     // warm-up: (0 + 1) / 4
    [InlineData(3, 1.0)]      // warm-up done
    [InlineData(50, 1.0)]     // constant
    [InlineData(80, 1.0)]     // decay starts: (100 - 80) / 20
    [InlineData(90, 0.5)]     // (100 - 90) / 20
    [InlineData(99, 0.05)]    // (100 - 99) / 20
    public void At_GivesTheHandComputedFactor(long step, double factor)
    {
        var options = new SaeTrainerOptions { LearningRate = 0.01f, WarmupSteps = 4, DecayFraction = 0.2 };
        LearningRateSchedule.At(step, 100, options).Should().BeApproximately((float)(0.01 * factor), 1e-9f);
    }

    [Fact]
    public void At_WithoutWarmupOrDecay_IsConstant()
    {
        var options = new SaeTrainerOptions { LearningRate = 0.003f, WarmupSteps = 0, DecayFraction = 0 };
        Enumerable.Range(0, 10).Select(s => LearningRateSchedule.At(s, 10, options)).Should().OnlyContain(v => v == 0.003f);
    }
}
