using System.Buffers;
using System.Numerics.Tensors;
using SparseDictionary.Randomness;

namespace SparseDictionary;

/// <summary>
/// Synthetic activations with known features, as in the Mutual Feature Regularization paper (Marks et al., seed 001,
/// section 3.1, after Sharkey et al. 2022): superposed, group-correlated, sparse combinations of G random features.
/// </summary>
/// <remarks>
/// <para>F has G features f_j in R^d with entries N(0, 1) (<see cref="GroundTruthFeatures"/> holds them as rows).
/// The features are split into E groups of S = floor(G / E) consecutive features. With the default
/// <see cref="SyntheticActiveSetMode.OneGroup"/>, each sample independently picks a group uniformly, then K distinct
/// features of that group, drawn one after another without replacement with probability proportional to lambda^j
/// (j = the feature's index inside its group), then coefficients a_j ~ U(0, 1): x = Σ_j a_j f_j. The active set is
/// drawn per sample (never shared across a batch). <see cref="SyntheticActiveSetMode.AllGroups"/> draws K features
/// in every group (E x K active), and <see cref="SyntheticActiveSetMode.SharedWithinChunk"/> follows the authors'
/// code, where all samples of a group in a chunk of <see cref="ChunkSize"/> samples share one active set (see
/// <see cref="SyntheticActiveSetMode"/> for the paper's sentences behind each reading).</para>
/// <para>Sample i is generated from a random stream derived from (seed, i) alone (and, for the shared active sets,
/// from one derived from (seed, i / <see cref="ChunkSize"/>, group)), so the stream is identical however it is split
/// into batches, batches are generated in parallel, and <see cref="Seek(long)"/> costs O(1).</para>
/// </remarks>
public sealed class SyntheticFeatureSource : ISeekableActivationSource
{
    /// <summary>Per-sample buffers up to this many active features live on the stack; larger ones are rented.</summary>
    private const int StackLimit = 256;

    private readonly float[] _features;
    private readonly double[] _logWeightInverse;
    private readonly ulong _sampleSeed;
    private readonly ulong _activeSetSeed;
    private long _position;

    /// <summary>Creates the generator from options bound through Microsoft.Extensions.Options.</summary>
    /// <param name="options">The options accessor.</param>
    public SyntheticFeatureSource(Microsoft.Extensions.Options.IOptions<SyntheticFeatureOptions> options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value)
    {
    }

    /// <summary>Creates the generator and draws the feature matrix.</summary>
    /// <param name="options">The parameters; null for the paper's defaults.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A parameter is out of range; the message names it, its value and the range (<see cref="SyntheticFeatureOptionsValidator"/>).</exception>
    public SyntheticFeatureSource(SyntheticFeatureOptions? options = null)
    {
        options ??= new SyntheticFeatureOptions();
        OptionsFailures.ThrowIfInvalid(new SyntheticFeatureOptionsValidator(), options);
        var groupSize = options.FeatureCount / options.GroupCount;

        Dimension = options.InputDimension;
        FeatureCount = options.FeatureCount;
        GroupCount = options.GroupCount;
        GroupSize = groupSize;
        ActiveFeatures = options.ActiveFeatures;
        Decay = options.Decay;
        Seed = options.Seed;
        Length = options.Length;
        ActiveSetMode = options.ActiveSetMode;
        ChunkSize = options.ChunkSize;
        ActiveFeaturesPerSample = ActiveSetMode == SyntheticActiveSetMode.AllGroups ? GroupCount * ActiveFeatures : ActiveFeatures;

        var seed = (ulong)(uint)options.Seed;
        var featureRandom = new DeterministicRandom(DeterministicRandom.DeriveSeed(seed, 0xF0));
        _features = new float[FeatureCount * Dimension];
        for (var i = 0; i < _features.Length; i++)
        {
            _features[i] = (float)featureRandom.NextGaussian();
        }

        GroundTruthFeatures = Matrix.Wrap(_features, FeatureCount, Dimension);

        // Efraimidis-Spirakis: keeping the K largest keys log(u) / w_j draws K items one after another without
        // replacement with probabilities proportional to w_j. Store 1 / w_j = lambda^-j.
        _logWeightInverse = new double[groupSize];
        for (var j = 0; j < groupSize; j++)
        {
            _logWeightInverse[j] = Math.Pow(Decay, -j);
        }

        _sampleSeed = DeterministicRandom.DeriveSeed(seed, 0x5A);
        _activeSetSeed = DeterministicRandom.DeriveSeed(seed, 0xC4);
    }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public long? Length { get; }

    /// <summary>Number G of ground-truth features.</summary>
    public int FeatureCount { get; }

    /// <summary>Number E of groups.</summary>
    public int GroupCount { get; }

    /// <summary>Features per group, S = floor(G / E).</summary>
    public int GroupSize { get; }

    /// <summary>Features that can appear in a sample, E x S (the last G - E x S features are never used).</summary>
    public int UsedFeatureCount => GroupCount * GroupSize;

    /// <summary>Active features drawn inside a group, K (per sample, or per group and sample with <see cref="SyntheticActiveSetMode.AllGroups"/>).</summary>
    public int ActiveFeatures { get; }

    /// <summary>Active features per sample: E x K with <see cref="SyntheticActiveSetMode.AllGroups"/>, else K.</summary>
    public int ActiveFeaturesPerSample { get; }

    /// <summary>How the active features of a sample are chosen.</summary>
    public SyntheticActiveSetMode ActiveSetMode { get; }

    /// <summary>Samples per chunk of shared active sets (used by <see cref="SyntheticActiveSetMode.SharedWithinChunk"/> only).</summary>
    public long ChunkSize { get; }

    /// <summary>Decay lambda of the within-group feature probabilities.</summary>
    public double Decay { get; }

    /// <summary>The seed.</summary>
    public int Seed { get; }

    /// <summary>The ground-truth features as a G x d matrix, row j = f_j (column j of the paper's F). Do not modify.</summary>
    public Matrix GroundTruthFeatures { get; }

    /// <summary>Index of the next sample the stream yields.</summary>
    public long Position => _position;

    /// <inheritdoc />
    public int Read(Matrix destination) => Read(destination, null);

    /// <summary>Fills rows like <see cref="Read(Matrix)"/> and also returns each sample's ground-truth feature coefficients.</summary>
    /// <param name="destination">A matrix with <see cref="Dimension"/> columns.</param>
    /// <param name="groundTruthCodes">When not null: codes over <see cref="FeatureCount"/> latents with capacity at least <see cref="ActiveFeaturesPerSample"/> and as many rows as <paramref name="destination"/>; row i receives the active features of sample i (in the order they were drawn, group by group with <see cref="SyntheticActiveSetMode.AllGroups"/>) and their coefficients.</param>
    /// <returns>The number of rows written.</returns>
    public int Read(Matrix destination, SparseCodes? groundTruthCodes)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Columns != Dimension)
        {
            throw new ArgumentException($"The destination has {destination.Columns} columns but the source's rows have {Dimension}.", nameof(destination));
        }

        if (groundTruthCodes is not null && (groundTruthCodes.LatentCount != FeatureCount || groundTruthCodes.Capacity < ActiveFeaturesPerSample || groundTruthCodes.Rows != destination.Rows))
        {
            throw new ArgumentException($"The ground-truth codes must have {destination.Rows} rows over {FeatureCount} latents with capacity >= {ActiveFeaturesPerSample}; they have {groundTruthCodes.Rows} rows over {groundTruthCodes.LatentCount} latents with capacity {groundTruthCodes.Capacity}.", nameof(groundTruthCodes));
        }

        var rows = destination.Rows;
        if (Length is { } length)
        {
            rows = (int)Math.Min(rows, length - _position);
        }

        var first = _position;
        Kernels.ParallelRows.For(rows, (start, end) =>
        {
            var total = ActiveFeaturesPerSample;
            int[]? rentedIndices = null;
            float[]? rentedCoefficients = null;
            double[]? rentedKeys = null;
            try
            {
                // Fixed-size stack buffers for the usual sizes; rented arrays beyond (the sizes come from the options).
                var chosen = (total <= StackLimit ? stackalloc int[StackLimit] : rentedIndices = ArrayPool<int>.Shared.Rent(total))[..total];
                var coefficients = (total <= StackLimit ? stackalloc float[StackLimit] : rentedCoefficients = ArrayPool<float>.Shared.Rent(total))[..total];
                var keys = (ActiveFeatures <= StackLimit ? stackalloc double[StackLimit] : rentedKeys = ArrayPool<double>.Shared.Rent(ActiveFeatures))[..ActiveFeatures];
                var random = new DeterministicRandom(0);
                var setRandom = ActiveSetMode == SyntheticActiveSetMode.SharedWithinChunk ? new DeterministicRandom(0) : null;
                for (var r = start; r < end; r++)
                {
                    GenerateSample(first + r, destination.Row(r), chosen, coefficients, keys, random, setRandom);
                    groundTruthCodes?.SetRow(r, chosen, coefficients);
                }
            }
            finally
            {
                ReturnRented(rentedIndices);
                ReturnRented(rentedCoefficients);
                ReturnRented(rentedKeys);
            }
        });

        _position += rows;
        return rows;
    }

    /// <inheritdoc />
    public void Reset() => _position = 0;

    /// <summary>
    /// Moves the stream to sample <paramref name="position"/>: the next read yields it. Sample i depends only on
    /// (seed, i), so a second source with the same options can, for example, serve a held-out set that starts where
    /// the training budget ends.
    /// </summary>
    /// <param name="position">A sample index, at least 0 and at most <see cref="Length"/> when the stream is bounded.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> is negative or past the end.</exception>
    public void Seek(long position)
    {
        if (position < 0 || position > (Length ?? long.MaxValue))
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, $"The position must be in [0, {Length?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unbounded"}] but is {position}.");
        }

        _position = position;
    }

    /// <summary>
    /// Writes sample <paramref name="index"/> to <paramref name="output"/>, its active features (global indices) to
    /// <paramref name="chosen"/> and their coefficients to <paramref name="coefficients"/> (both of length
    /// <see cref="ActiveFeaturesPerSample"/>). <paramref name="random"/> and <paramref name="setRandom"/> are scratch
    /// generators, reseeded here.
    /// </summary>
    private void GenerateSample(long index, Span<float> output, Span<int> chosen, Span<float> coefficients, Span<double> keys, DeterministicRandom random, DeterministicRandom? setRandom)
    {
        // The sample's stream: the group (one-group modes), the active set's keys (per-sample modes), then the coefficients.
        random.Reseed(DeterministicRandom.DeriveSeed(_sampleSeed, (ulong)index));
        switch (ActiveSetMode)
        {
            case SyntheticActiveSetMode.AllGroups:
                for (var group = 0; group < GroupCount; group++)
                {
                    DrawActiveSet(random, group, chosen.Slice(group * ActiveFeatures, ActiveFeatures), keys);
                }

                break;

            case SyntheticActiveSetMode.SharedWithinChunk:
            {
                // The group is the sample's; the active set comes from a stream of (chunk, group) alone, so every sample
                // of that group in the chunk gets the same one.
                var group = random.NextInt(GroupCount);
                setRandom!.Reseed(DeterministicRandom.DeriveSeed(DeterministicRandom.DeriveSeed(_activeSetSeed, (ulong)(index / ChunkSize)), (ulong)group));
                DrawActiveSet(setRandom, group, chosen, keys);
                break;
            }

            default:
            {
                var group = random.NextInt(GroupCount);
                DrawActiveSet(random, group, chosen, keys);
                break;
            }
        }

        output.Clear();
        for (var a = 0; a < chosen.Length; a++)
        {
            coefficients[a] = random.NextSingle();
            TensorPrimitives.MultiplyAdd(_features.AsSpan(chosen[a] * Dimension, Dimension), coefficients[a], output, output);
        }
    }

    /// <summary>
    /// Draws chosen.Length distinct features of <paramref name="group"/> with probabilities proportional to lambda^j,
    /// one after another without replacement, from S uniforms of <paramref name="random"/>; writes their global indices
    /// in draw order.
    /// </summary>
    private void DrawActiveSet(DeterministicRandom random, int group, Span<int> chosen, Span<double> keys)
    {
        // Keep the K largest keys log(u_j) * lambda^-j among the group's S features (a small insertion-sorted list).
        var count = 0;
        for (var j = 0; j < GroupSize; j++)
        {
            var u = random.NextDouble();
            var key = Math.Log(u > 0 ? u : double.Epsilon) * _logWeightInverse[j];
            if (count < chosen.Length)
            {
                Insert(keys, chosen, count++, key, j);
            }
            else if (key > keys[count - 1])
            {
                Insert(keys, chosen, count - 1, key, j);
            }
        }

        var offset = group * GroupSize;
        for (var a = 0; a < count; a++)
        {
            chosen[a] += offset;
        }
    }

    private static void ReturnRented<T>(T[]? array)
    {
        if (array is not null)
        {
            ArrayPool<T>.Shared.Return(array);
        }
    }

    /// <summary>Inserts (key, item) into the descending list of length <paramref name="position"/> + 1, dropping what was at <paramref name="position"/>.</summary>
    private static void Insert(Span<double> keys, Span<int> items, int position, double key, int item)
    {
        var p = position;
        while (p > 0 && keys[p - 1] < key)
        {
            keys[p] = keys[p - 1];
            items[p] = items[p - 1];
            p--;
        }

        keys[p] = key;
        items[p] = item;
    }
}
