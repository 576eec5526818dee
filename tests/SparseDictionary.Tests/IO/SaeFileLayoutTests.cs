using SparseDictionary.IO;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.IO;

/// <summary>The public save and load entry points: every layout round-trips through detection.</summary>
public sealed class SaeFileLayoutTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sdict-layouts-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Theory]
    [InlineData(SaeFileLayout.Native)]
    [InlineData(SaeFileLayout.SaeLens)]
    [InlineData(SaeFileLayout.Sparsify)]
    public void SaveInLayout_IsDetected_AndLoadsBitIdentically(SaeFileLayout layout)
    {
        var sae = new SparseAutoencoder(12, 20, new TopKActivation(3), seed: 4);
        TestData.Gaussian(12, 1).CopyTo(sae.DecoderBias.Span);
        TestData.Gaussian(20, 2).CopyTo(sae.EncoderBias.Span);
        var directory = Path.Combine(_root, layout.ToString());

        sae.Save(directory, layout);
        SparseAutoencoder.DetectLayout(directory).Should().Be(layout);
        var loaded = SparseAutoencoder.Load(directory);

        loaded.Activation.Should().BeOfType<TopKActivation>().Which.K.Should().Be(3);
        loaded.EncoderWeights.Span.ToArray().Should().Equal(sae.EncoderWeights.Span.ToArray());
        loaded.EncoderBias.Span.ToArray().Should().Equal(sae.EncoderBias.Span.ToArray());
        loaded.DecoderWeights.Span.ToArray().Should().Equal(sae.DecoderWeights.Span.ToArray());
        loaded.DecoderBias.Span.ToArray().Should().Equal(sae.DecoderBias.Span.ToArray());
    }

    [Fact]
    public void SparsifyRefusesAReLUSae_NamingTheActivation()
    {
        var sae = new SparseAutoencoder(8, 16, new ReLUActivation(), seed: 1);
        var act = () => sae.Save(Path.Combine(_root, "relu"), SaeFileLayout.Sparsify);
        act.Should().Throw<ArgumentException>().WithMessage("*ReLU*");
    }

    [Fact]
    public void DetectLayout_OfAFolderWithoutAModel_IsNull()
    {
        Directory.CreateDirectory(_root);
        SparseAutoencoder.DetectLayout(_root).Should().BeNull();
    }
}
