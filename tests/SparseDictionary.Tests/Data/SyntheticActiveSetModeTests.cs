namespace SparseDictionary.Tests.Data;

/// <summary>The three readings of the paper's active sets (<see cref="SyntheticActiveSetMode"/>): their statistics, chunks, streams and options.</summary>
public class SyntheticActiveSetModeTests
{
    public static TheoryData<SyntheticActiveSetMode> Modes => [.. Enum.GetValues<SyntheticActiveSetMode>()];

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
