namespace SparseDictionary.Metrics;

/// <summary>How many rows of a first set are compared at once against a second set of m rows (bounded scratch).</summary>
internal static class CosineChunks
{
    private const int ChunkRows = 256;

    /// <summary>The most floats of one chunk of products (64 Mi floats, 256 MB).</summary>
    private const long MaxChunkFloats = 1L << 26;

    /// <summary>
    /// <see cref="ChunkRows"/> rows, fewer when chunk x m floats would pass <see cref="MaxChunkFloats"/>, at least 1; in
    /// 64 bits. The matrix product gives every entry the same bits whatever the chunk's height.
    /// </summary>
    public static int RowsFor(int m) => (int)Math.Clamp(MaxChunkFloats / Math.Max(m, 1), 1, ChunkRows);
}
