using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Activations;

/// <summary>
/// A user activation that breaks the <see cref="IActivation"/> contract must never reach the sparse kernels: its
/// output is checked where Forward returns, and the caller gets an exception naming the activation, the row and the
/// bad value (before the check, an index out of range made the decoder read outside W_dec).
/// </summary>
public class ActivationOutputValidationTests
{
    private const int D = 8;
    private const int Latents = 16;
    private const int K = 4;
    private const int Rows = 300;
    private const int BadRow = 37;

    /// <summary>Each fault, and a fragment of the message that names the bad value.</summary>
    public static TheoryData<ActivationFault, string> Faults => new()
    {
        { ActivationFault.IndexEqualToLatentCount, "latent index 16 at position 1*[0, 16)" },
        { ActivationFault.NegativeIndex, "latent index -1 at position 1*[0, 16)" },
        { ActivationFault.DuplicateIndex, "latent index 0 twice*positions 0 and 2" },
        { ActivationFault.CountAboveCapacity, "5 active latents*0 to 4" },
        { ActivationFault.NegativeCount, "-1 active latents*0 to 4" },
        { ActivationFault.NaNValue, "value NaN for latent 1*finite" },
        { ActivationFault.InfiniteValue, "value Infinity for latent 1*finite" },
    };

    /// <summary>
    /// An SAE whose first pre-activation is the input's first column (W_enc row 0 = e_0, zero biases), so the
    /// activation's trigger picks rows by their first column.
    /// </summary>
    private static SparseAutoencoder Sae(IActivation activation)
    {
        var sae = new SparseAutoencoder(D, Latents, activation, seed: 3);
        var row0 = sae.EncoderWeights.Row(0);
        row0.Clear();
        row0[0] = 1;
        return sae;
    }

    /// <summary>Gaussian rows with first column 0, except row <see cref="BadRow"/> whose first column is 1000.</summary>
    private static Matrix Batch()
    {
        var x = TestData.GaussianMatrix(Rows, D, 5);
        for (var r = 0; r < Rows; r++)
        {
            x[r, 0] = r == BadRow ? 1000 : 0;
        }

        return x;
    }

    private static SparseAutoencoder Malicious(ActivationFault fault) => Sae(new MaliciousActivation(K, fault, trigger: 500));

    private static float[] Snapshot(SparseAutoencoder sae) =>
        [.. sae.EncoderWeights.Span, .. sae.EncoderBias.Span, .. sae.DecoderWeights.Span, .. sae.DecoderBias.Span];

    [Theory]
    [MemberData(nameof(Faults))]
    public void Encode_RejectsAnInvalidRow_NamingTheActivationTheRowAndTheValue(ActivationFault fault, string value)
    {
        var sae = Malicious(fault);
        var act = () => sae.Encode(Batch());
        act.Should().Throw<InvalidOperationException>().WithMessage($"*Malicious({fault})*{value}*").And.Message.Should().Contain($"row {BadRow}");
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public void DecodeOfEncodedCodes_NeverReadsThroughAnInvalidRow(ActivationFault fault, string value)
    {
        // Reconstruct = Decode(Encode(x)); the batch and single-vector forms.
        var sae = Malicious(fault);
        var batch = Batch();
        var reconstruct = () => sae.Reconstruct(batch);
        reconstruct.Should().Throw<InvalidOperationException>().WithMessage($"*Malicious({fault})*{value}*");

        var output = new float[D];
        var single = () => sae.Reconstruct(batch.Row(BadRow), output);
        single.Should().Throw<InvalidOperationException>().WithMessage($"*Malicious({fault})*{value}*").And.Message.Should().Contain("row 0");
        output.Should().OnlyContain(v => v == 0, "nothing was decoded");
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public void EncodeIntoCodes_LeavesEveryRowValid(ActivationFault fault, string value)
    {
        var sae = Malicious(fault);
        var codes = new SparseCodes(Rows, Latents, K);
        var act = () => sae.Encode(Batch(), codes);
        act.Should().Throw<InvalidOperationException>().WithMessage($"*{value}*");
        for (var r = 0; r < Rows; r++)
        {
            // Rows are re-encoded or still empty (SparseCodes starts with no active latent).
            var indices = codes.Indices(r).ToArray();
            indices.All(i => i >= 0 && i < Latents).Should().BeTrue($"row {r}");
            indices.Should().OnlyHaveUniqueItems();
            codes.Values(r).ToArray().All(float.IsFinite).Should().BeTrue($"row {r}");
        }

        // So decoding them is safe.
        sae.Decode(codes).Span.ToArray().Should().OnlyContain(v => float.IsFinite(v));
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public void Train_RejectsAnInvalidRow_AndKeepsTheWeights(ActivationFault fault, string value)
    {
        var sae = Malicious(fault);
        var before = Snapshot(sae);
        var options = new SaeTrainerOptions { LearningRate = 1e-3f, BatchSize = Rows, TotalTokens = 2 * Rows, DecoderBiasInitialization = DecoderBiasInitialization.None };
        var act = () => new SaeTrainer(options).Train(sae, new InMemoryActivationSource(Batch()));
        act.Should().Throw<InvalidOperationException>().WithMessage($"*Malicious({fault})*{value}*").And.Message.Should().Contain($"row {BadRow}");
        Snapshot(sae).Should().Equal(before, "the failing step updated nothing");
    }

    [Fact]
    public void Train_OfTwoSaes_RejectsTheInvalidOne_AndKeepsBoth()
    {
        var good = Sae(new MaliciousActivation(K, ActivationFault.None));
        var bad = Malicious(ActivationFault.IndexEqualToLatentCount);
        var (goodBefore, badBefore) = (Snapshot(good), Snapshot(bad));
        var options = new SaeTrainerOptions { LearningRate = 1e-3f, BatchSize = Rows, TotalTokens = Rows, DecoderBiasInitialization = DecoderBiasInitialization.None };
        var act = () => new SaeTrainer(options, [new SilentRegularizer()]).Train([good, bad], new InMemoryActivationSource(Batch()));
        act.Should().Throw<InvalidOperationException>().WithMessage("*Malicious(IndexEqualToLatentCount)*row 37*");
        Snapshot(good).Should().Equal(goodBefore);
        Snapshot(bad).Should().Equal(badBefore);
    }

    [Fact]
    public void DistinctIndicesInAnyOrder_AreAccepted()
    {
        // The contract asks for distinct indices, not for an order: a descending row passes (the out-of-order check).
        var descending = Sae(new MaliciousActivation(K, ActivationFault.Descending));
        var ascending = Sae(new MaliciousActivation(K, ActivationFault.None));
        var batch = TestData.GaussianMatrix(Rows, D, 5);
        var codes = descending.Encode(batch);
        var reference = ascending.Encode(batch);
        for (var r = 0; r < Rows; r++)
        {
            codes.Indices(r).ToArray().Should().Equal(reference.Indices(r).ToArray().Reverse());
        }

        descending.Decode(codes).Span.ToArray().Should().HaveCount(Rows * D);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(Latents + 1)]
    public void Constructor_RejectsACapacityOutsideTheLatentRange_NamingTheActivation(int capacity)
    {
        var act = () => new SparseAutoencoder(D, Latents, new BadCapacityActivation(capacity));
        act.Should().Throw<ArgumentException>().WithMessage($"*BadCapacity({capacity})*capacity of {capacity}*[0, {Latents}]*");
    }

    [Fact]
    public void DecodeOfUserIndices_ChecksRangeAndDistinctness()
    {
        var sae = Sae(new TopKActivation(K));
        var output = new float[D];
        var outOfRange = () => sae.Decode([0, Latents], [1f, 1f], output);
        outOfRange.Should().Throw<ArgumentException>().WithMessage($"*Index {Latents}*[0, {Latents})*");
        var negative = () => sae.Decode([-1], [1f], output);
        negative.Should().Throw<ArgumentException>().WithMessage("*Index -1*");
        var repeated = () => sae.Decode([3, 3], [1f, 1f], output);
        repeated.Should().Throw<ArgumentException>().WithMessage("*3 appears more than once*");
        var tooMany = () => sae.Decode(Enumerable.Range(0, Latents + 1).ToArray(), new float[Latents + 1], output);
        tooMany.Should().Throw<ArgumentException>();
    }
}
