using System.Runtime.InteropServices;
using System.Security.Cryptography;

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
        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*SyntheticFeatureOptions.ActiveFeatures must be in [1, group size S = floor(512 / 12) = 42] but is 43*");
    }

    public static TheoryData<SyntheticActiveSetMode> Modes => [.. Enum.GetValues<SyntheticActiveSetMode>()];

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

    [Fact]
    public void AllGroups_WithThePapersSection32Settings_HasKActiveFeaturesInEveryGroup()
    {
        // G = 512, d = 256, E = 12, K = 3: 12 x 3 = 36 active features per sample, three in each group.
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { ActiveFeatures = 3, ActiveSetMode = SyntheticActiveSetMode.AllGroups, Seed = 4 });
        source.ActiveFeaturesPerSample.Should().Be(36);
        var batch = new Matrix(200, 256);
        var truth = new SparseCodes(200, 512, 36);
        source.Read(batch, truth).Should().Be(200);
        for (var r = 0; r < 200; r++)
        {
            var indices = truth.Indices(r).ToArray();
            indices.Should().HaveCount(36).And.OnlyHaveUniqueItems().And.OnlyContain(i => i < 504);
            indices.GroupBy(i => i / 42).Select(g => (g.Key, Count: g.Count())).OrderBy(g => g.Key).Should().Equal(Enumerable.Range(0, 12).Select(g => (g, 3)));
            truth.Values(r).ToArray().Should().OnlyContain(a => a >= 0 && a < 1);
            ExpectSumOfFeatures(source, batch, truth, r);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ActiveFeaturesAndGroupsPerSample_FollowTheMode(SyntheticActiveSetMode mode)
    {
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = 12, FeatureCount = 50, GroupCount = 4, ActiveFeatures = 5, ActiveSetMode = mode, ChunkSize = 16, Seed = 2 });
        source.GroupSize.Should().Be(12);
        var expectedGroups = mode == SyntheticActiveSetMode.AllGroups ? 4 : 1;
        source.ActiveFeaturesPerSample.Should().Be(5 * expectedGroups);
        var batch = new Matrix(500, 12);
        var truth = new SparseCodes(500, 50, source.ActiveFeaturesPerSample);
        source.Read(batch, truth);
        var groupsSeen = new HashSet<int>();
        for (var r = 0; r < 500; r++)
        {
            var indices = truth.Indices(r).ToArray();
            indices.Should().HaveCount(5 * expectedGroups).And.OnlyHaveUniqueItems().And.OnlyContain(i => i < 48, "the last 2 features are unused");
            var groups = indices.GroupBy(i => i / 12).ToArray();
            groups.Should().HaveCount(expectedGroups).And.OnlyContain(g => g.Count() == 5, "K features in each group involved");
            groupsSeen.UnionWith(groups.Select(g => g.Key));
            ExpectSumOfFeatures(source, batch, truth, r);
        }

        groupsSeen.Should().BeEquivalentTo(Enumerable.Range(0, 4), "every group is picked");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void FeatureFrequencies_FollowTheDecayInsideAGroup_InEveryMode(SyntheticActiveSetMode mode)
    {
        // S = 8 features per group, K = 3, lambda = 0.7. The exact inclusion probability p_j of feature j (3 draws in
        // a row without replacement, weights 0.7^j) is computed by enumerating the 8 x 7 x 6 ordered draws. The
        // observed frequency over n independent draws of a group's active set has standard deviation
        // sqrt(p (1 - p) / n); we allow 5 of them. Independent draws: samples (one group), samples x groups (all
        // groups), or distinct (chunk, group) sets (shared within a chunk of 4 samples: the samples of a chunk share
        // them, so only the sets count).
        const int samples = 12_000;
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = 4, FeatureCount = 24, GroupCount = 3, ActiveFeatures = 3, Decay = 0.7, ActiveSetMode = mode, ChunkSize = 4, Seed = 11 });
        var truth = new SparseCodes(samples, 24, source.ActiveFeaturesPerSample);
        source.Read(new Matrix(samples, 4), truth);

        var counts = new long[8];
        long draws = 0;
        if (mode == SyntheticActiveSetMode.SharedWithinChunk)
        {
            var sets = new Dictionary<(int Chunk, int Group), int[]>();
            for (var r = 0; r < samples; r++)
            {
                var indices = truth.Indices(r).ToArray();
                if (sets.TryAdd((r / 4, indices[0] / 8), indices))
                {
                    draws++;
                    foreach (var i in indices)
                    {
                        counts[i % 8]++;
                    }
                }
            }
        }
        else
        {
            draws = mode == SyntheticActiveSetMode.AllGroups ? 3L * samples : samples;
            for (var r = 0; r < samples; r++)
            {
                foreach (var i in truth.Indices(r))
                {
                    counts[i % 8]++;
                }
            }
        }

        var p = InclusionProbabilities(0.7, 8, 3);
        p.Sum().Should().BeApproximately(3, 1e-12);
        for (var j = 0; j < 8; j++)
        {
            var sigma = Math.Sqrt(p[j] * (1 - p[j]) / draws);
            ((double)counts[j] / draws).Should().BeApproximately(p[j], 5 * sigma, $"feature {j} of its group over {draws} draws");
        }

        counts[0].Should().BeGreaterThan(counts[7], "lambda^j makes the first feature of a group the most frequent");
    }

    [Fact]
    public void SharedWithinChunk_SamplesOfAGroupShareTheActiveSetInAChunk_AndNotAcrossChunks()
    {
        // Chunks of 250 samples, 4 groups of S = 42, K = 3. Inside a chunk, every sample of group g has the same
        // active features (same draw order), with its own coefficients. Across 20 chunks, a group's set changes: the
        // most likely set, {0, 1, 2}, has probability about 3! / (34.4 · 33.4 · 32.4) ~ 1.6e-4, so nearly all 20 sets differ.
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = 8, FeatureCount = 168, GroupCount = 4, ActiveFeatures = 3, ActiveSetMode = SyntheticActiveSetMode.SharedWithinChunk, ChunkSize = 250, Seed = 6 });
        source.ChunkSize.Should().Be(250);
        const int samples = 20 * 250;
        var truth = new SparseCodes(samples, 168, 3);
        source.Read(new Matrix(samples, 8), truth);

        var setsByGroup = new List<string>[4];
        for (var g = 0; g < 4; g++)
        {
            setsByGroup[g] = [];
        }

        for (var chunk = 0; chunk < 20; chunk++)
        {
            var rows = Enumerable.Range(chunk * 250, 250).ToArray();
            foreach (var group in rows.GroupBy(r => truth.Indices(r)[0] / 42))
            {
                var sets = group.Select(r => string.Join(",", truth.Indices(r).ToArray())).Distinct().ToArray();
                sets.Should().ContainSingle($"the samples of group {group.Key} in chunk {chunk} share one active set");
                group.Select(r => truth.Values(r)[0]).Distinct().Count().Should().BeGreaterThan(group.Count() / 2, "the coefficients are drawn per sample");
                setsByGroup[group.Key].Add(sets[0]);
            }
        }

        for (var g = 0; g < 4; g++)
        {
            setsByGroup[g].Should().HaveCount(20, "every group appears in every chunk of 250 samples");
            setsByGroup[g].Distinct().Count().Should().BeGreaterThanOrEqualTo(18, $"group {g} gets a new active set in each chunk");
        }
    }

    [Fact]
    public void SharedWithinChunk_ChunksFollowTheSampleIndex()
    {
        // Chunk c holds samples [7c, 7c + 7): samples 6 and 7 lie in different chunks, 7 and 13 in the same, whichever
        // reads produce them. The group's set of sample 7 is found again at any later sample of that group and chunk.
        var options = new SyntheticFeatureOptions { InputDimension = 8, FeatureCount = 168, GroupCount = 1, ActiveFeatures = 3, ActiveSetMode = SyntheticActiveSetMode.SharedWithinChunk, ChunkSize = 7, Seed = 3 };
        var source = new SyntheticFeatureSource(options);
        var truth = new SparseCodes(21, 168, 3);
        source.Read(new Matrix(21, 8), truth);
        var sets = Enumerable.Range(0, 21).Select(r => string.Join(",", truth.Indices(r).ToArray())).ToArray();
        for (var r = 0; r < 21; r++)
        {
            sets[r].Should().Be(sets[r / 7 * 7], $"sample {r} is in chunk {r / 7} with a single group");
        }

        sets.Distinct().Should().HaveCount(3);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Seek_AndBatching_GiveTheSameSamples_InEveryMode(SyntheticActiveSetMode mode)
    {
        var options = new SyntheticFeatureOptions { InputDimension = 16, FeatureCount = 40, GroupCount = 4, ActiveFeatures = 3, ActiveSetMode = mode, ChunkSize = 7, Seed = 5, Length = 100 };
        var whole = new Matrix(100, 16);
        var wholeTruth = new SparseCodes(100, 40, 12);
        new SyntheticFeatureSource(options).Read(whole, wholeTruth);

        // Seek to the middle of a chunk, read across chunk boundaries.
        var source = new SyntheticFeatureSource(options);
        source.Seek(38);
        var tail = new Matrix(45, 16);
        var tailTruth = new SparseCodes(45, 40, 12);
        source.Read(tail, tailTruth).Should().Be(45);
        tail.Span.ToArray().Should().Equal(whole.SliceRows(38, 45).Span.ToArray());
        for (var r = 0; r < 45; r++)
        {
            tailTruth.Indices(r).ToArray().Should().Equal(wholeTruth.Indices(38 + r).ToArray());
            tailTruth.Values(r).ToArray().Should().Equal(wholeTruth.Values(38 + r).ToArray());
        }

        // Small reads in a row, then again after Reset: the same stream (determinism).
        source.Reset();
        var pieces = new List<float>();
        foreach (var rows in new[] { 1, 13, 6, 30, 50 })
        {
            var piece = new Matrix(rows, 16);
            source.Read(piece);
            pieces.AddRange(piece.Span.ToArray());
        }

        pieces.Should().Equal(whole.Span.ToArray());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void SameOptions_GiveTheSameStream_AndAnotherSeedAnother(SyntheticActiveSetMode mode)
    {
        var options = new SyntheticFeatureOptions { InputDimension = 16, FeatureCount = 40, GroupCount = 4, ActiveFeatures = 3, ActiveSetMode = mode, ChunkSize = 10, Seed = 8 };
        var first = new Matrix(64, 16);
        var second = new Matrix(64, 16);
        new SyntheticFeatureSource(options).Read(first);
        new SyntheticFeatureSource(options).Read(second);
        second.Span.ToArray().Should().Equal(first.Span.ToArray());

        options.Seed = 9;
        new SyntheticFeatureSource(options).Read(second);
        second.Span.ToArray().Should().NotEqual(first.Span.ToArray());
    }

    [Fact]
    public void ModesOtherThanTheDefault_LeaveTheFeatureMatrixAlone()
    {
        var baseline = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = 16, FeatureCount = 40, GroupCount = 4, ActiveFeatures = 3, Seed = 8 });
        foreach (var mode in Enum.GetValues<SyntheticActiveSetMode>())
        {
            var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = 16, FeatureCount = 40, GroupCount = 4, ActiveFeatures = 3, Seed = 8, ActiveSetMode = mode });
            source.GroundTruthFeatures.Span.ToArray().Should().Equal(baseline.GroundTruthFeatures.Span.ToArray());
        }
    }

    [Theory]
    [InlineData(SyntheticActiveSetMode.OneGroup, 280, 1)]
    [InlineData(SyntheticActiveSetMode.AllGroups, 200, 2)]
    [InlineData(SyntheticActiveSetMode.SharedWithinChunk, 300, 1)]
    public void LargeActiveSets_UseHeapBuffers(SyntheticActiveSetMode mode, int k, int groupsPerSample)
    {
        // More than 256 active features per sample (or per group): the per-sample buffers are rented, not stack memory.
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = 4, FeatureCount = 600, GroupCount = 2, ActiveFeatures = k, ActiveSetMode = mode, ChunkSize = 3, Seed = 1 });
        var batch = new Matrix(6, 4);
        var truth = new SparseCodes(6, 600, k * groupsPerSample);
        source.Read(batch, truth);
        for (var r = 0; r < 6; r++)
        {
            truth.Indices(r).ToArray().Should().HaveCount(k * groupsPerSample).And.OnlyHaveUniqueItems();
            ExpectSumOfFeatures(source, batch, truth, r);
        }
    }

    [Fact]
    public void ModeOptions_OutOfRange_AreNamed()
    {
        ((Action)(() => _ = new SyntheticFeatureSource(new SyntheticFeatureOptions { ActiveSetMode = SyntheticActiveSetMode.SharedWithinChunk, ChunkSize = 0 })))
            .Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*ChunkSize must be at least 1 but is 0*");
        ((Action)(() => _ = new SyntheticFeatureSource(new SyntheticFeatureOptions { ActiveSetMode = (SyntheticActiveSetMode)7 })))
            .Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*ActiveSetMode must be one of OneGroup, AllGroups, SharedWithinChunk but is 7*");
        ((Action)(() => _ = new SyntheticFeatureSource(new SyntheticFeatureOptions { ActiveSetMode = SyntheticActiveSetMode.AllGroups, ActiveFeatures = 43 })))
            .Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*SyntheticFeatureOptions.ActiveFeatures must be in [1, group size S = floor(512 / 12) = 42] but is 43*");
        ((Action)(() => _ = new SyntheticFeatureSource(new SyntheticFeatureOptions { ActiveSetMode = SyntheticActiveSetMode.SharedWithinChunk, ActiveFeatures = 43 })))
            .Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*ActiveFeatures*43*");

        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = 4, FeatureCount = 8, GroupCount = 2, ActiveFeatures = 2, ActiveSetMode = SyntheticActiveSetMode.AllGroups });
        ((Action)(() => source.Read(new Matrix(3, 4), new SparseCodes(3, 8, 2)))).Should().Throw<ArgumentException>().WithMessage("*capacity >= 4*");
    }

    /// <summary>Row r of the batch is Σ a_j f_j over the row's ground-truth codes (every column, float tolerance).</summary>
    private static void ExpectSumOfFeatures(SyntheticFeatureSource source, Matrix batch, SparseCodes truth, int r)
    {
        var indices = truth.Indices(r);
        var values = truth.Values(r);
        for (var c = 0; c < batch.Columns; c++)
        {
            var expected = 0.0;
            var magnitude = 0.0;
            for (var j = 0; j < indices.Length; j++)
            {
                expected += values[j] * (double)source.GroundTruthFeatures[indices[j], c];
                magnitude += Math.Abs(values[j] * (double)source.GroundTruthFeatures[indices[j], c]);
            }

            // Each of the |A| float additions rounds by at most 2^-24 of the running magnitude.
            batch[r, c].Should().BeApproximately((float)expected, (float)(1e-4 + (indices.Length * magnitude * 6e-8)));
        }
    }

    /// <summary>Exact inclusion probabilities of k draws in a row without replacement with weights decay^j, j &lt; size.</summary>
    private static double[] InclusionProbabilities(double decay, int size, int k)
    {
        var w = Enumerable.Range(0, size).Select(j => Math.Pow(decay, j)).ToArray();
        var p = new double[size];
        var taken = new bool[size];
        Walk(0, 1, w.Sum());
        return p;

        void Walk(int depth, double probability, double remaining)
        {
            if (depth == k)
            {
                return;
            }

            for (var j = 0; j < size; j++)
            {
                if (!taken[j])
                {
                    var q = probability * w[j] / remaining;
                    p[j] += q;
                    taken[j] = true;
                    Walk(depth + 1, q, remaining - w[j]);
                    taken[j] = false;
                }
            }
        }
    }
}
