namespace SparseDictionary;

/// <summary>
/// The sparse latent codes of a batch: for each row, the active latents as (index, value) pairs.
/// </summary>
/// <remarks>
/// Storage is row-blocked: each row has room for <see cref="Capacity"/> pairs and uses <see cref="Count(int)"/> of them.
/// A fixed-k code (TopK) has <c>Count(r) == Capacity == k</c> for every row that has k positive pre-activations;
/// a variable-length code (ReLU) has a capacity equal to the latent count and any count per row.
/// Within a row the pairs are in the order the activation produced them (TopK and ReLU: increasing latent index),
/// and indices are distinct.
/// </remarks>
public sealed class SparseCodes
{
    private readonly int[] _indices;
    private readonly float[] _values;
    private readonly int[] _counts;

    /// <summary>Creates empty codes (every row with no active latent).</summary>
    /// <param name="rows">Number of rows, at least 0.</param>
    /// <param name="latentCount">Number of latents an index may address, at least 1.</param>
    /// <param name="capacity">Maximum active latents per row, in [0, <paramref name="latentCount"/>].</param>
    public SparseCodes(int rows, int latentCount, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(latentCount, 1);
        if (capacity < 0 || capacity > latentCount)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"Expected a capacity in [0, {latentCount}] (the latent count).");
        }

        var length = (long)rows * capacity;
        if (length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} rows x capacity {capacity} = {length} pairs exceeds one buffer ({Array.MaxLength}).");
        }

        Rows = rows;
        LatentCount = latentCount;
        Capacity = capacity;
        _indices = new int[length];
        _values = new float[length];
        _counts = new int[rows];
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of latents (the dense width of a row).</summary>
    public int LatentCount { get; }

    /// <summary>Maximum number of active latents a row can hold.</summary>
    public int Capacity { get; }

    /// <summary>Number of active latents summed over all rows.</summary>
    public long TotalActive
    {
        get
        {
            long total = 0;
            foreach (var count in _counts)
            {
                total += count;
            }

            return total;
        }
    }

    /// <summary>Mean number of active latents per row (the L0 norm averaged over rows); 0 for no rows.</summary>
    public double MeanActive => Rows == 0 ? 0 : (double)TotalActive / Rows;

    /// <summary>Number of active latents in row <paramref name="row"/>.</summary>
    /// <param name="row">Row index.</param>
    /// <returns>The count, in [0, <see cref="Capacity"/>].</returns>
    public int Count(int row) => _counts[CheckRow(row)];

    /// <summary>The active latent indices of row <paramref name="row"/>.</summary>
    /// <param name="row">Row index.</param>
    /// <returns><see cref="Count(int)"/> distinct indices in [0, <see cref="LatentCount"/>).</returns>
    public ReadOnlySpan<int> Indices(int row) => _indices.AsSpan(CheckRow(row) * Capacity, _counts[row]);

    /// <summary>The active latent values of row <paramref name="row"/>, matching <see cref="Indices(int)"/>.</summary>
    /// <param name="row">Row index.</param>
    /// <returns><see cref="Count(int)"/> values.</returns>
    public ReadOnlySpan<float> Values(int row) => _values.AsSpan(CheckRow(row) * Capacity, _counts[row]);

    /// <summary>Replaces row <paramref name="row"/> with the given pairs.</summary>
    /// <param name="row">Row index.</param>
    /// <param name="indices">Distinct latent indices in [0, <see cref="LatentCount"/>); at most <see cref="Capacity"/>.</param>
    /// <param name="values">Values, one per index.</param>
    /// <exception cref="ArgumentException">Lengths differ, exceed the capacity, or an index is out of range or repeated; the row is unchanged.</exception>
    public void SetRow(int row, ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        CheckRow(row);
        if (indices.Length != values.Length)
        {
            throw new ArgumentException($"Got {indices.Length} indices but {values.Length} values.", nameof(values));
        }

        if (indices.Length > Capacity)
        {
            throw new ArgumentException($"Got {indices.Length} pairs but the capacity is {Capacity}.", nameof(indices));
        }

        for (var i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)LatentCount)
            {
                throw new ArgumentException($"Index {indices[i]} at position {i} is outside [0, {LatentCount}).", nameof(indices));
            }

            if (indices[..i].Contains(indices[i]))
            {
                throw new ArgumentException($"Index {indices[i]} appears more than once.", nameof(indices));
            }
        }

        indices.CopyTo(_indices.AsSpan(row * Capacity));
        values.CopyTo(_values.AsSpan(row * Capacity));
        _counts[row] = indices.Length;
    }

    /// <summary>Expands the codes into a dense <see cref="Rows"/> x <see cref="LatentCount"/> matrix (zeros where inactive).</summary>
    /// <returns>A new matrix.</returns>
    public Matrix ToDense()
    {
        var dense = new Matrix(Rows, LatentCount);
        var span = dense.Span;
        for (var r = 0; r < Rows; r++)
        {
            var indices = Indices(r);
            var values = Values(r);
            for (var j = 0; j < indices.Length; j++)
            {
                span[(r * LatentCount) + indices[j]] = values[j];
            }
        }

        return dense;
    }

    /// <summary>Row <paramref name="row"/>'s full index slot (capacity long), for kernels that fill it.</summary>
    internal Span<int> IndexSlot(int row) => _indices.AsSpan(row * Capacity, Capacity);

    /// <summary>Row <paramref name="row"/>'s full value slot (capacity long), for kernels that fill it.</summary>
    internal Span<float> ValueSlot(int row) => _values.AsSpan(row * Capacity, Capacity);

    /// <summary>Sets the count of a row whose slot a kernel filled.</summary>
    internal void SetCount(int row, int count) => _counts[row] = count;

    /// <summary>All index slots, row-blocked by <see cref="Capacity"/>.</summary>
    internal int[] RawIndices => _indices;

    /// <summary>All value slots, row-blocked by <see cref="Capacity"/>.</summary>
    internal float[] RawValues => _values;

    /// <summary>All row counts.</summary>
    internal int[] RawCounts => _counts;

    private int CheckRow(int row)
    {
        if ((uint)row >= (uint)Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"Expected a row index in [0, {Rows}).");
        }

        return row;
    }
}
