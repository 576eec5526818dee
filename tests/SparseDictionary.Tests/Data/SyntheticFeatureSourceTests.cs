using SparseDictionary.Data;
using SparseDictionary.Tensors;

namespace SparseDictionary.Tests.Data;

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
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*ActiveFeatures must be in [1, group size S = floor(512 / 12) = 42] but is 43*");
    }
}
