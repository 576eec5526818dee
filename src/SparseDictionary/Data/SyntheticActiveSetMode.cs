namespace SparseDictionary;

/// <summary>
/// How <see cref="SyntheticFeatureSource"/> chooses the active features of each sample (seed 001, sections 3.1 and
/// 3.2, and the authors' public code). K is <see cref="SyntheticFeatureOptions.ActiveFeatures"/>, E
/// <see cref="SyntheticFeatureOptions.GroupCount"/>, S = floor(G / E) the group size and lambda
/// <see cref="SyntheticFeatureOptions.Decay"/>. In every mode the K features taken inside a group are distinct and
/// drawn one after another without replacement with probability proportional to lambda^j (j = the feature's index
/// inside its group), and every active feature gets its own coefficient a ~ U(0, 1) per sample.
/// </summary>
/// <remarks>
/// Section 3.1 of the paper reads: "To construct each data point x^(i), we randomly select an active group
/// e_i ∈ 1,…,E and choose K active features within that group according to the probability p_j of a feature."
/// Section 3.2 then gives "the parameters G=512, d=256, E=12, K=3 and λ=0.99" and says "Samples in D are then
/// comprised of 512 features represented in 256 dimensions with 36 active features", and "We use the exact value of
/// total active features, 36, for the value of k in the TopK activation function". One group with K = 3 gives 3 active
/// features, not 36, so the two sections agree only if either K = 36 inside one group (<see cref="OneGroup"/> with
/// K = 36, the authors' code's default) or K = 3 in each of the 12 groups (<see cref="AllGroups"/>, 12 x 3 = 36).
/// </remarks>
public enum SyntheticActiveSetMode
{
    /// <summary>
    /// Section 3.1 as written (the default): each sample picks one of the E groups uniformly, then K distinct features
    /// inside it, so K features are active. The active set is drawn for each sample.
    /// </summary>
    OneGroup = 0,

    /// <summary>
    /// K distinct features inside every one of the E groups, drawn independently per group and per sample, so E x K
    /// features are active (12 x 3 = 36 with section 3.2's E = 12 and K = 3, matching its "36 active features").
    /// </summary>
    AllGroups = 1,

    /// <summary>
    /// The authors' public generator (<c>generate_synthetic_data</c> in <c>utils/data_utils.py</c> of
    /// luke-marks0/mutual-feature-regularization): each sample picks one group uniformly, but the K-feature active set
    /// of a group is drawn once per chunk of <see cref="SyntheticFeatureOptions.ChunkSize"/> consecutive samples
    /// (their <c>data_batch_size</c>, 1,000,000 by default) and shared by every sample of that group in the chunk;
    /// only the coefficients differ from sample to sample. So a chunk holds at most E distinct active sets.
    /// </summary>
    /// <remarks>
    /// Their loop, per chunk: <c>selected_groups = torch.randint(E, (chunk,))</c> (a uniform group per sample); then for
    /// each group present, <c>indices = group[torch.multinomial(lambda^arange(S) / (1 - lambda), K, replacement=False)]</c>
    /// (one draw of K distinct features, weights lambda^j with j from 0) and
    /// <c>coeffs[rows of that group, indices] = torch.rand(count, K)</c>; the last chunk is shorter when the total is
    /// not a multiple of the chunk size. Here chunk c holds samples [c · ChunkSize, (c + 1) · ChunkSize); each sample's
    /// group and coefficients come from its own random stream, and the active set of (c, group) from a stream derived
    /// from (seed, c, group), so the distribution is theirs while the stream stays random-access. The random numbers
    /// are the library's, not PyTorch's: the samples are not the authors' samples.
    /// </remarks>
    SharedWithinChunk = 2,
}
