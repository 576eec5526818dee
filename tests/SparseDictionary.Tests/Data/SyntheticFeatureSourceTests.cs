using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace SparseDictionary.Tests.Data;

/// <summary>The synthetic source in its default reading (one group per sample): statistics, streaming, seeking, options.</summary>
public class SyntheticFeatureSourceTests
{
    [Fact]
    public void Defaults_AreThePapersSettings()
    {
        var source = new SyntheticFeatureSource();
        (source.Dimension, source.FeatureCount, source.GroupCount, source.GroupSize, source.ActiveFeatures, source.Decay)
            .Should().Be((256, 512, 12, 42, 36, 0.99));
        source.UsedFeatureCount.Should().Be(504);
        source.GroundTruthFeatures.Rows.Should().Be(512);
    }

    [Fact]
    public void EachSample_IsASumOfKDistinctFeaturesOfOneGroup_WithUniformCoefficients()
    {
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { Seed = 3 });
        var batch = new Matrix(300, 256);
        var truth = new SparseCodes(300, 512, 36);
        source.Read(batch, truth).Should().Be(300);
        for (var r = 0; r < 300; r++)
        {
            var indices = truth.Indices(r).ToArray();
            indices.Should().HaveCount(36).And.OnlyHaveUniqueItems();
            indices.Select(i => i / 42).Distinct().Should().ContainSingle("all active features come from one group");
            indices.Should().OnlyContain(i => i < 504);
            truth.Values(r).ToArray().Should().OnlyContain(a => a >= 0 && a < 1);
            for (var c = 0; c < 256; c += 37)
            {
                var expected = 0.0;
                for (var j = 0; j < 36; j++)
                {
                    expected += truth.Values(r)[j] * (double)source.GroundTruthFeatures[indices[j], c];
                }

                batch[r, c].Should().BeApproximately((float)expected, 1e-4f);
            }
        }
    }

    [Fact]
    public void FeatureFrequencies_FollowTheDecayInsideAGroup()
    {
        // With lambda = 0.5, S = 8 and K = 2, feature 0 of a group is drawn first with probability 1/(1 + ... + 2^-7) ~ 0.50,
        // and its inclusion probability is far above that of feature 7.
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = 4, FeatureCount = 16, GroupCount = 2, ActiveFeatures = 2, Decay = 0.5, Seed = 1 });
        var truth = new SparseCodes(20_000, 16, 2);
        source.Read(new Matrix(20_000, 4), truth);
        var counts = new int[8];
        for (var r = 0; r < 20_000; r++)
        {
            foreach (var i in truth.Indices(r))
            {
                counts[i % 8]++;
            }
        }

        // Exact inclusion probabilities of sequential weighted sampling without replacement, computed directly.
        var w = Enumerable.Range(0, 8).Select(j => Math.Pow(0.5, j)).ToArray();
        var total = w.Sum();
        for (var j = 0; j < 8; j++)
        {
            var p = w[j] / total;
            for (var first = 0; first < 8; first++)
            {
                if (first != j)
                {
                    p += w[first] / total * (w[j] / (total - w[first]));
                }
            }

            // Binomial standard deviation over 20,000 samples is at most 0.0036; allow 5 of them.
            (counts[j] / 20_000.0).Should().BeApproximately(p, 0.018, $"feature {j} of its group");
        }
    }

    [Fact]
    public void Stream_IsTheSameHoweverItIsBatched_AndRepeatsAfterReset()
    {
        var options = new SyntheticFeatureOptions { InputDimension = 16, FeatureCount = 40, GroupCount = 4, ActiveFeatures = 3, Seed = 9 };
        var source = new SyntheticFeatureSource(options);
        var whole = new Matrix(50, 16);
        source.Read(whole);
        source.Reset();
        var first = new Matrix(20, 16);
        var second = new Matrix(30, 16);
        source.Read(first);
        source.Read(second);
        first.Span.ToArray().Concat(second.Span.ToArray()).Should().Equal(whole.Span.ToArray());
        new SyntheticFeatureSource(options).GroundTruthFeatures.Span.ToArray().Should().Equal(source.GroundTruthFeatures.Span.ToArray());
    }

    [Fact]
    public void Seek_StartsTheStreamAtAnySample()
    {
        var options = new SyntheticFeatureOptions { InputDimension = 16, FeatureCount = 32, GroupCount = 4, ActiveFeatures = 3, Seed = 5, Length = 100 };
        var whole = new Matrix(100, 16);
        new SyntheticFeatureSource(options).Read(whole);

        var source = new SyntheticFeatureSource(options);
        source.Seek(70);
        source.Position.Should().Be(70);
        var tail = new Matrix(40, 16);
        source.Read(tail).Should().Be(30, "the bounded stream ends at sample 100");
        tail.SliceRows(0, 30).Span.ToArray().Should().Equal(whole.SliceRows(70, 30).Span.ToArray());

        source.Seek(100);
        source.Read(tail).Should().Be(0);
        ((Action)(() => source.Seek(101))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[0, 100]*101*");
        ((Action)(() => source.Seek(-1))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*-1*");
    }

    [Fact]
    public void BoundedStream_EndsAtItsLength()
    {
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = 8, FeatureCount = 16, GroupCount = 2, ActiveFeatures = 2, Length = 25 });
        var batch = new Matrix(10, 8);
        source.Read(batch).Should().Be(10);
        source.Read(batch).Should().Be(10);
        source.Read(batch).Should().Be(5);
        source.Read(batch).Should().Be(0);
    }

    [Fact]
    public void LargeActiveFeatureCounts_DoNotOverflowTheStack()
    {
        // K = S = 65,536 active features is a valid configuration; per-sample buffers of K ints, floats and doubles
        // (1 MiB) allocated on the stack overflowed it and killed the process. The sample is generated on a thread
        // with a 256 KiB stack (one row runs on the calling thread): on the heap it completes there, and matches the
        // same sample generated on the test's own thread.
        var options = new SyntheticFeatureOptions { InputDimension = 2, FeatureCount = 65_536, GroupCount = 1, ActiveFeatures = 65_536, Seed = 4 };
        var onSmallStack = new Matrix(1, 2);
        Exception? failure = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    new SyntheticFeatureSource(options).Read(onSmallStack);
                }
                catch (Exception e)
                {
                    failure = e;
                }
            },
            maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();

        failure.Should().BeNull();
        var reference = new Matrix(1, 2);
        new SyntheticFeatureSource(options).Read(reference).Should().Be(1);
        onSmallStack.Span.ToArray().Should().Equal(reference.Span.ToArray());
        onSmallStack.Span.ToArray().Should().OnlyContain(v => float.IsFinite(v) && v != 0);
    }

    [Fact]
    public void Options_OutOfRange_AreNamed()
    {
        var act = () => new SyntheticFeatureSource(new SyntheticFeatureOptions { ActiveFeatures = 43 });
        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*SyntheticFeatureOptions.ActiveFeatures must be in [1, group size S = floor(512 / 12) = 42] but is 43*");
    }

    [Fact]
    public void DefaultMode_ReproducesPinnedSamples()
    {
        // Values recorded with the generator as it was before the active-set modes existed (paper defaults, seed 7):
        // the default mode must keep producing exactly these samples, since experiments depend on the stream. Indices
        // and coefficients come from integer arithmetic on the random stream; the outputs are element-wise sums
        // x = Σ a_j f_j in draw order (no reduction), so their bits do not depend on the vector width.
        (long Position, int[] Indices, uint[] Coefficients, uint[] Outputs)[] pinned =
        [
            (0L, [308, 306, 300, 302, 322, 311, 321, 316, 335, 319, 314, 294, 310, 307, 320, 305, 328, 309, 298, 327, 329, 315, 295, 297, 332, 301, 325, 299, 318, 312, 303, 313, 326, 334, 331, 333], [0x3F328A15, 0x3F3A2CA7, 0x3E89DF80, 0x3E835620, 0x3E69BE74, 0x3F01C5BD, 0x3D6CBD30, 0x3EFB69B2, 0x3F7255BA, 0x3DC58AE0, 0x3C4063C0, 0x3B782500, 0x3ECD08C6, 0x3F61BD0C, 0x3F4FBECC, 0x3E896EA6, 0x3F17A1FF, 0x3EFCB762, 0x3ED7BC8A, 0x3EC7E696, 0x3F7CAF8E, 0x3F550C42, 0x3ED09A4C, 0x3F5888C3, 0x3ECC1A58, 0x3F66BCBF, 0x3F3BD57E, 0x3ADBB800, 0x3F78A92F, 0x3EECF2CC, 0x3EE5FC36, 0x3E5D9020, 0x3F7BC463, 0x3ED45BBE, 0x3F3C90DC, 0x3F55AA95], [0x40C53565, 0x407EA3BE, 0x409135D4, 0xBF3CEC6B]),
            (1_000_000L, [203, 196, 173, 176, 191, 172, 192, 188, 169, 179, 182, 189, 180, 175, 204, 199, 171, 187, 181, 170, 174, 183, 178, 205, 168, 195, 206, 197, 184, 193, 190, 198, 202, 201, 207, 186], [0x3F77EAE9, 0x3E5EC7BC, 0x3F5C8266, 0x3E501F34, 0x3CFABB40, 0x3EF060A8, 0x3F5AED67, 0x3F145A4C, 0x3F4F39D1, 0x3ED1D006, 0x3EA52B34, 0x3E89D35C, 0x3EBE17AE, 0x3F10D507, 0x3D69D020, 0x3EA97D96, 0x3F241BEB, 0x3F2A57A5, 0x3E4D6910, 0x3EC097F4, 0x3EE5E664, 0x3F7EA252, 0x3F66C543, 0x3F716864, 0x3F25D1F8, 0x3F7699D5, 0x3E8108A2, 0x3F4A18CD, 0x3EC08EAC, 0x3F0705FF, 0x3E6C542C, 0x3F42A67E, 0x3F3B789B, 0x3EAE66BA, 0x3F2528C9, 0x3E92B512], [0xBEA82D33, 0x408828C5, 0x3FAB932D, 0xC0B0A3A6]),
            (123_456_789L, [223, 228, 248, 229, 212, 218, 211, 221, 230, 219, 237, 215, 243, 245, 235, 234, 249, 247, 251, 250, 240, 213, 217, 242, 220, 233, 226, 224, 210, 232, 225, 227, 231, 238, 246, 236], [0x3F3E5ED8, 0x3DC1D488, 0x3F7DB66E, 0x3F5107DD, 0x3E9429D4, 0x3DB08CC8, 0x3E92FCE6, 0x3E2EF404, 0x3F418E2B, 0x3F33DD24, 0x3F399F19, 0x3EA10DC8, 0x3F10D148, 0x3EB6BBE2, 0x3EEC4E66, 0x3DCFA3B8, 0x3D097CB0, 0x3F7002EF, 0x3EB0276E, 0x3F71C94D, 0x3E68F700, 0x3E2739EC, 0x3E901CB2, 0x3F77C862, 0x3F44DBC1, 0x3F52FCC7, 0x3F576CD8, 0x3E31FF24, 0x3ED40298, 0x3D8E4E80, 0x3F758E5D, 0x3F39F5BC, 0x3D5B5970, 0x3F2EFD5F, 0x3F119CC9, 0x3F763F63], [0xC02C28E5, 0x40993E5C, 0x4038CCD2, 0x3F98C7EF]),
        ];
        int[] columns = [0, 1, 100, 255];
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { Seed = 7 });
        source.ActiveSetMode.Should().Be(SyntheticActiveSetMode.OneGroup);
        foreach (var (position, indices, coefficients, outputs) in pinned)
        {
            source.Seek(position);
            var row = new Matrix(1, 256);
            var truth = new SparseCodes(1, 512, 36);
            source.Read(row, truth);
            truth.Indices(0).ToArray().Should().Equal(indices, $"the active features of sample {position}");
            truth.Values(0).ToArray().Select(BitConverter.SingleToUInt32Bits).Should().Equal(coefficients, $"the coefficients of sample {position}");
            columns.Select(c => BitConverter.SingleToUInt32Bits(row[0, c])).Should().Equal(outputs, $"entries of sample {position}");
        }

        // And the first 3,000 samples as a whole (SHA-256 of their float32 bytes, first 8 bytes in hex).
        source.Reset();
        var stream = new Matrix(3000, 256);
        source.Read(stream);
        Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(stream.Span)))[..16].Should().Be("6A46240A7D4C475B");
    }
}
