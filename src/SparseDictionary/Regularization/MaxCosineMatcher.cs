using System.Buffers;
using System.Numerics.Tensors;
using SparseDictionary.Kernels;

namespace SparseDictionary.Regularization;

/// <summary>
/// Matches each row of the first set with its most similar row of the second: partner(a) = argmax_b cos(a, b), the
/// lowest index on ties. This is the max in seed 001's MMCS(W_i, W_j) = (1/|W_i|) Σ_a max_b cos(a, b) (section 3.3).
/// </summary>
/// <remarks>
/// Both sets are normalised once, then compared in chunks of the first set's rows with the library's SGEMM against
/// the second set packed once, so memory stays at chunk x m floats. Cost: 2 n m d FLOP. A zero row has cosine 0 with
/// everything. Stateless and safe to share.
/// </remarks>
public sealed class MaxCosineMatcher : IFeatureMatcher
{
    private const int ChunkRows = 256;

    /// <summary>The most floats of one chunk of products (64 Mi floats, 256 MB): chunks shrink below <see cref="ChunkRows"/> rows for a second set longer than 256 Ki rows.</summary>
    private const long MaxChunkFloats = 1L << 26;

    /// <summary>
    /// Rows of the first set compared per chunk against <paramref name="m"/> rows: <see cref="ChunkRows"/>, fewer when
    /// chunk x m floats would pass <see cref="MaxChunkFloats"/>, at least 1 (a chunk row is at most one m-float row,
    /// which fits since the second set itself fits one buffer). The sizes are computed in 64 bits. The GEMM gives
    /// every product the same bits whatever the chunk's height.
    /// </summary>
    internal static int ChunkRowsFor(int m) => (int)Math.Clamp(MaxChunkFloats / Math.Max(m, 1), 1, ChunkRows);

    /// <summary>A shared instance.</summary>
    public static MaxCosineMatcher Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "max-cosine";

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The widths differ, the second set is empty, a span has the wrong length, or an entry is not finite.</exception>
    public void Match(Matrix first, Matrix second, Span<int> partners, Span<float> cosines)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Columns != second.Columns)
        {
            throw new ArgumentException($"The direction sets have different widths: {first.Columns} and {second.Columns}.", nameof(second));
        }

        if (second.Rows == 0)
        {
            throw new ArgumentException("The second direction set is empty; each row needs something to match.", nameof(second));
        }

        if (partners.Length != first.Rows || cosines.Length != first.Rows)
        {
            throw new ArgumentException($"partners and cosines hold {partners.Length} and {cosines.Length} entries but the first set has {first.Rows} rows.", nameof(partners));
        }

        var d = first.Columns;
        var m = second.Rows;
        var an = RowKernels.NormalizedCopy(first, nameof(first));
        var bn = RowKernels.NormalizedCopy(second, nameof(second));
        using var packed = Gemm.PackRight(true, d, m, bn, d);
        var chunkRows = ChunkRowsFor(m);
        var scratch = ArrayPool<float>.Shared.Rent(Math.Min(chunkRows, Math.Max(first.Rows, 1)) * m);
        try
        {
            for (var start = 0; start < first.Rows; start += chunkRows)
            {
                var rows = Math.Min(chunkRows, first.Rows - start);
                var products = scratch.AsSpan(0, rows * m);
                Gemm.Multiply(false, rows, 1f, an.AsSpan(start * d, rows * d), d, packed, 0f, products, m);
                for (var r = 0; r < rows; r++)
                {
                    var row = products.Slice(r * m, m);
                    var best = TensorPrimitives.IndexOfMax(row);
                    cosines[start + r] = row[best];
                    partners[start + r] = best;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }
}
