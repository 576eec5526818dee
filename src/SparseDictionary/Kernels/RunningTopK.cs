using System.Buffers;

namespace SparseDictionary.Kernels;

/// <summary>
/// For each row of a block, the k largest strictly positive entries seen so far, as the row arrives in column chunks
/// of increasing index: the TopK activation (top k, then ReLU) computed while the encoder product is still being
/// produced, so that no whole row of pre-activations is ever stored.
/// </summary>
/// <remarks>
/// <para>Per row, a buffer of up to 3k candidates (value, index), in increasing index order, and a threshold t:
/// only entries v &gt; t can still be selected (t = 0 at first, for the ReLU; then the k-th largest value kept). A
/// chunk's entries above t are appended (<see cref="TopKSelection"/>'s filter); when there are more than 2k of them,
/// the chunk's own top k is appended instead (any other entry of the chunk has k entries above it). Before each chunk,
/// a buffer holding more than k candidates is cut back to its top k and t raised to the smallest kept value.</para>
/// <para>The result is exactly that of <see cref="TopKSelection.Select"/> on the whole row followed by keeping the
/// positive entries: the order is total (larger value first, lower index first among equals), a later entry equal to
/// t loses to the kept one of lower index, and the buffer stays in index order. NaN is never kept.</para>
/// </remarks>
internal sealed class RunningTopK : IDisposable
{
    private readonly int _k;
    private readonly int _capacity;
    private float[]? _values;
    private int[]? _indices;
    private readonly int[] _counts;
    private readonly float[] _thresholds;
    private readonly int[] _selectedPositions;
    private readonly float[] _selectedValues;

    /// <summary>Creates the state for up to <paramref name="maxRows"/> rows and <paramref name="k"/> entries per row (buffers rented).</summary>
    /// <param name="maxRows">The most rows of a block, at least 1.</param>
    /// <param name="k">The number of entries to keep per row, at least 1.</param>
    public RunningTopK(int maxRows, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        _k = k;
        _capacity = 3 * k;
        _values = ArrayPool<float>.Shared.Rent(maxRows * _capacity);
        _indices = ArrayPool<int>.Shared.Rent(maxRows * _capacity);
        _counts = new int[maxRows];
        _thresholds = new float[maxRows];
        _selectedPositions = new int[k];
        _selectedValues = new float[k];
        MaxRows = maxRows;
    }

    /// <summary>The most rows of a block.</summary>
    public int MaxRows { get; }

    /// <summary>Starts a block of <paramref name="rows"/> rows: no candidates, threshold 0.</summary>
    public void Reset(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, MaxRows);
        Array.Clear(_counts, 0, rows);
        Array.Clear(_thresholds, 0, rows);
    }

    /// <summary>Takes in the entries of <paramref name="row"/>'s chunk (entry j has column index <paramref name="firstIndex"/> + j); chunks of a row must come in increasing index order.</summary>
    public void Add(int row, ReadOnlySpan<float> chunk, int firstIndex, KernelPath path) => Add(row, chunk, firstIndex, default, path);

    /// <summary>
    /// Takes in gathered entries of <paramref name="row"/>: entry j has column index <paramref name="columns"/>[j]
    /// (ascending, and above every index taken in before).
    /// </summary>
    public void Add(int row, ReadOnlySpan<float> entries, ReadOnlySpan<int> columns, KernelPath path)
    {
        if (columns.Length != entries.Length)
        {
            throw new ArgumentException($"{entries.Length} entries but {columns.Length} column indices; they must match.", nameof(columns));
        }

        Add(row, entries, 0, columns, path);
    }

    /// <summary>Takes in entries whose column indices are <paramref name="firstIndex"/> + j, or <paramref name="columns"/>[j] when it is not empty.</summary>
    private void Add(int row, ReadOnlySpan<float> chunk, int firstIndex, ReadOnlySpan<int> columns, KernelPath path)
    {
        var values = _values.AsSpan(row * _capacity, _capacity);
        var indices = _indices.AsSpan(row * _capacity, _capacity);
        var count = _counts[row];
        if (count > _k)
        {
            count = Shrink(row, values[..count], indices[..count]);
        }

        var threshold = _thresholds[row];
        if (float.IsPositiveInfinity(threshold) || chunk.IsEmpty)
        {
            return;
        }

        // Entries v > t are the entries v >= the next float above t.
        var room = 2 * _k;
        var newValues = values.Slice(count, room);
        var newIndices = indices.Slice(count, room);
        var added = TopKSelection.Filter(chunk, MathF.BitIncrement(threshold), newValues, newIndices, room, path);
        if (added < 0)
        {
            // More than 2k entries above t: only the chunk's own top k can still be selected.
            var selected = TopKSelection.Select(chunk, _k, newIndices, newValues, path);
            added = 0;
            for (var j = 0; j < selected; j++)
            {
                if (newValues[j] > threshold)
                {
                    newIndices[added] = newIndices[j];
                    newValues[added++] = newValues[j];
                }
            }
        }

        for (var j = 0; j < added; j++)
        {
            newIndices[j] = columns.IsEmpty ? newIndices[j] + firstIndex : columns[newIndices[j]];
        }

        _counts[row] = count + added;
    }

    /// <summary>Writes <paramref name="row"/>'s selection, in increasing index order, and returns its size (at most k).</summary>
    public int Finish(int row, Span<int> indices, Span<float> values)
    {
        var count = _counts[row];
        var bufferValues = _values.AsSpan(row * _capacity, count);
        var bufferIndices = _indices.AsSpan(row * _capacity, count);
        if (count > _k)
        {
            count = Shrink(row, bufferValues, bufferIndices);
        }

        bufferIndices[..count].CopyTo(indices);
        bufferValues[..count].CopyTo(values);
        return count;
    }

    /// <summary>Returns the rented buffers.</summary>
    public void Dispose()
    {
        if (_values is not null)
        {
            ArrayPool<float>.Shared.Return(_values);
            _values = null;
        }

        if (_indices is not null)
        {
            ArrayPool<int>.Shared.Return(_indices);
            _indices = null;
        }
    }

    /// <summary>Cuts a row's candidates (more than k) to their top k, in place and in index order, and raises its threshold to the smallest kept value.</summary>
    private int Shrink(int row, Span<float> values, Span<int> indices)
    {
        var kept = TopKSelection.Select(values, _k, _selectedPositions, _selectedValues, KernelPaths.Current);
        var smallest = float.PositiveInfinity;
        for (var j = 0; j < kept; j++)
        {
            // Positions increase and are >= j: moving entries down in order never overwrites one still to move.
            indices[j] = indices[_selectedPositions[j]];
            values[j] = _selectedValues[j];
            smallest = Math.Min(smallest, values[j]);
        }

        _counts[row] = kept;
        _thresholds[row] = smallest;
        return kept;
    }
}
