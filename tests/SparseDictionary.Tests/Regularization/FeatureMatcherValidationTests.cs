using SparseDictionary.Regularization;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Regularization;

/// <summary>
/// Partners from a user <see cref="IFeatureMatcher"/> are checked right after Match returns: one out of [-1, latents)
/// gives an exception naming the matcher, the row and the value (it used to surface as an AggregateException of bare
/// IndexOutOfRangeExceptions, or, for a partner below -1, be taken silently as "no partner").
/// </summary>
public class FeatureMatcherValidationTests
{
    private static SyntheticFeatureSource Source() => new(new SyntheticFeatureOptions { InputDimension = 16, FeatureCount = 32, GroupCount = 4, ActiveFeatures = 3, Seed = 1 });

    private static float[] Snapshot(SparseAutoencoder sae) =>
        [.. sae.EncoderWeights.Span, .. sae.EncoderBias.Span, .. sae.DecoderWeights.Span, .. sae.DecoderBias.Span];

    [Theory]
    [InlineData(24)]
    [InlineData(1000)]
    [InlineData(-2)]
    [InlineData(int.MinValue)]
    public void Train_RejectsAPartnerOutOfRange_NamingTheMatcherTheRowAndTheValue(int partner)
    {
        // SAE 0 has 20 latents, SAE 1 has 24: row 7 of SAE 0 gets a partner outside [-1, 24).
        var first = new SparseAutoencoder(16, 20, new TopKActivation(3), seed: 1);
        var second = new SparseAutoencoder(16, 24, new TopKActivation(3), seed: 2);
        var (firstBefore, secondBefore) = (Snapshot(first), Snapshot(second));
        var mfr = new MutualFeatureRegularizer(new MutualFeatureOptions { WarmupSteps = 0, Matcher = new MaliciousMatcher(7, partner) });
        var options = new SaeTrainerOptions { LearningRate = 1e-3f, BatchSize = 128, TotalTokens = 256, DecoderBiasInitialization = DecoderBiasInitialization.None };

        var act = () => new SaeTrainer(options, [mfr]).Train([first, second], Source());

        act.Should().Throw<InvalidOperationException>()
            .WithMessage($"*malicious-matcher*row 7 of SAE 0*partner {partner} in SAE 1*-1*[0, 24)*");
        Snapshot(first).Should().Equal(firstBefore, "the failing step updated nothing");
        Snapshot(second).Should().Equal(secondBefore);
    }

    [Fact]
    public void NoPartner_IsAccepted()
    {
        // -1 is the contract's "no partner".
        var mfr = new MutualFeatureRegularizer(new MutualFeatureOptions { WarmupSteps = 0, Matcher = new MaliciousMatcher(7, -1) });
        var options = new SaeTrainerOptions { LearningRate = 1e-3f, BatchSize = 128, TotalTokens = 256 };
        var saes = new[] { new SparseAutoencoder(16, 20, new TopKActivation(3), seed: 1), new SparseAutoencoder(16, 24, new TopKActivation(3), seed: 2) };
        new SaeTrainer(options, [mfr]).Train(saes, Source()).Steps.Should().Be(2);
        mfr.LastUnweightedPenalty.Should().BeInRange(0, 2);
    }
}
