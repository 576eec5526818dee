using System.Buffers;

namespace SparseDictionary.Kernels;

/// <summary>
/// The active entries of a batch's codes with their pre-activation gradients, grouped by (row tile, latent) with a
/// stable counting sort: the entries of latent i in tile t (<see cref="Group"/>) are contiguous and in row order, and
/// the groups follow each other tile after tile, latent after latent. The per-latent weight-gradient sums
/// (<see cref="SparseWeightGradients"/>) read them one latent at a time.
/// </summary>
/// <remarks>
/// Row tiles: when latents have many entries each (a small dictionary, a large batch), the batch is cut into tiles
/// whose output-gradient and input rows (256 KB) stay in L2 while each latent's entries of the tile are applied; with
/// few entries per latent one tile (the whole batch) is best. A tile's rows only reach its own groups, so the tiles are
/// counted and scattered in parallel (the same layout as one serial pass).
/// The sorted copies and the group table are rented from <see cref="ArrayPool{T}.Shared"/> and returned by
/// <see cref="Dispose"/>.
/// </remarks>
internal sealed class LatentEntrySort : IDisposable
{
    /// <summary>Group (t, i), key t · latents + i, holds entries [_groupStart[key], _groupStart[key + 1]).</summary>
    private int[] _groupStart;

    /// <summary>Per latent, its number of entries over all tiles (the sort's write cursors until the sort is done).</summary>
    private int[] _latentEntries;

    /// <summary>Per sorted entry: its batch row.</summary>
    private int[] _rows;

    /// <summary>Per sorted entry: its code value.</summary>
    private float[] _values;

    /// <summary>Per sorted entry: its pre-activation gradient.</summary>
    private float[] _preGradients;

    /// <summary>Sorts the active entries of <paramref name="codes"/> by (row tile, latent).</summary>
    /// <param name="codes">The batch's codes.</param>
    /// <param name="preGradients">The pre-activation gradient of each active entry, laid out like <paramref name="codes"/> (row-blocked, <see cref="SparseCodes.Capacity"/> per row).</param>
    /// <param name="d">The input dimension: the length of the rows the entries will be applied to, which sets the tile height.</param>
    public LatentEntrySort(SparseCodes codes, float[] preGradients, int d)
    {
        Latents = codes.LatentCount;
        var rows = codes.Rows;
        var counts = codes.RawCounts;
        for (var b = 0; b < rows; b++)
        {
            Entries += counts[b];
        }

        var tileRows = Math.Max(Gemm.MR, 32768 / Math.Max(1, d));
        Tiles = (int)Math.Clamp(Math.Min((rows + tileRows - 1L) / tileRows, Entries / (4L * Latents)), 1, int.MaxValue);
        TileRows = (rows + Tiles - 1) / Tiles;
        var keys = Tiles * Latents;
        _groupStart = ArrayPool<int>.Shared.Rent(keys + 1);
        _latentEntries = ArrayPool<int>.Shared.Rent(keys);
        _rows = ArrayPool<int>.Shared.Rent(Entries);
        _values = ArrayPool<float>.Shared.Rent(Entries);
        _preGradients = ArrayPool<float>.Shared.Rent(Entries);
        Sort(codes, preGradients);
    }

    /// <summary>The number of latents.</summary>
    public int Latents { get; }

    /// <summary>The number of row tiles, at least 1.</summary>
    public int Tiles { get; }

    /// <summary>Rows per tile (the last tile may have fewer).</summary>
    public int TileRows { get; }

    /// <summary>The number of active entries in the batch.</summary>
    public int Entries { get; }

    /// <summary>The number of entries of <paramref name="latent"/> over all tiles: how often it fired in the batch.</summary>
    /// <param name="latent">A latent.</param>
    public int EntryCount(int latent) => _latentEntries[latent];

    /// <summary>The entries of <paramref name="latent"/> in row tile <paramref name="tile"/>, in row order.</summary>
    /// <param name="tile">A tile in [0, <see cref="Tiles"/>).</param>
    /// <param name="latent">A latent in [0, <see cref="Latents"/>).</param>
    public LatentEntries Group(int tile, int latent)
    {
        var key = (tile * Latents) + latent;
        var first = _groupStart[key];
        var length = _groupStart[key + 1] - first;
        return new LatentEntries(_rows.AsSpan(first, length), _values.AsSpan(first, length), _preGradients.AsSpan(first, length));
    }

    /// <summary>Returns the pooled buffers; the sort is unusable afterwards.</summary>
    public void Dispose()
    {
        if (_groupStart is null)
        {
            return;
        }

        ArrayPool<int>.Shared.Return(_groupStart);
        ArrayPool<int>.Shared.Return(_latentEntries);
        ArrayPool<int>.Shared.Return(_rows);
        ArrayPool<float>.Shared.Return(_values);
        ArrayPool<float>.Shared.Return(_preGradients);
        _groupStart = null!;
        _latentEntries = null!;
        _rows = null!;
        _values = null!;
        _preGradients = null!;
    }

    /// <summary>The counting sort: tiles in parallel when there are several, then each latent's entry count.</summary>
    private void Sort(SparseCodes codes, float[] preGradients)
    {
        // Each tile's first entry: its entries follow those of the tiles before it.
        var counts = codes.RawCounts;
        var tileStart = new int[Tiles + 1];
        for (var t = 0; t < Tiles; t++)
        {
            var tileEntries = 0;
            for (var b = t * TileRows; b < Math.Min(codes.Rows, (t + 1) * TileRows); b++)
            {
                tileEntries += counts[b];
            }

            tileStart[t + 1] = tileStart[t] + tileEntries;
        }

        if (Tiles == 1)
        {
            SortTile(0, tileStart[0], codes, preGradients);
        }
        else
        {
            Parallel.For(0, Tiles, t => SortTile(t, tileStart[t], codes, preGradients));
        }

        _groupStart[Tiles * Latents] = Entries;

        // Per latent, its number of entries over all tiles (the firing count); the cursors are no longer needed.
        for (var i = 0; i < Latents; i++)
        {
            var total = 0;
            for (var t = 0; t < Tiles; t++)
            {
                var key = (t * Latents) + i;
                total += _groupStart[key + 1] - _groupStart[key];
            }

            _latentEntries[i] = total;
        }
    }

    /// <summary>
    /// Counts tile <paramref name="t"/>'s entries per latent, sets its group starts from <paramref name="firstEntry"/>
    /// on, and scatters its entries into their groups in row order.
    /// </summary>
    private void SortTile(int t, int firstEntry, SparseCodes codes, float[] preGradients)
    {
        var capacity = codes.Capacity;
        var counts = codes.RawCounts;
        var indices = codes.RawIndices;
        var values = codes.RawValues;
        var cursor = _latentEntries;
        var keyOffset = t * Latents;
        var firstRow = t * TileRows;
        var endRow = Math.Min(codes.Rows, firstRow + TileRows);
        Array.Clear(cursor, keyOffset, Latents);
        for (var b = firstRow; b < endRow; b++)
        {
            var offset = b * capacity;
            for (var e = offset; e < offset + counts[b]; e++)
            {
                cursor[keyOffset + indices[e]]++;
            }
        }

        var running = firstEntry;
        for (var key = keyOffset; key < keyOffset + Latents; key++)
        {
            _groupStart[key] = running;
            running += cursor[key];
            cursor[key] = _groupStart[key];
        }

        for (var b = firstRow; b < endRow; b++)
        {
            var offset = b * capacity;
            for (var e = offset; e < offset + counts[b]; e++)
            {
                var at = cursor[keyOffset + indices[e]]++;
                _rows[at] = b;
                _values[at] = values[e];
                _preGradients[at] = preGradients[e];
            }
        }
    }
}

/// <summary>The entries of one latent in one row tile (<see cref="LatentEntrySort.Group"/>), in row order.</summary>
/// <param name="rows">Each entry's batch row.</param>
/// <param name="values">Each entry's code value.</param>
/// <param name="preGradients">Each entry's pre-activation gradient.</param>
internal readonly ref struct LatentEntries(ReadOnlySpan<int> rows, ReadOnlySpan<float> values, ReadOnlySpan<float> preGradients)
{
    /// <summary>Each entry's batch row, increasing.</summary>
    public ReadOnlySpan<int> Rows { get; } = rows;

    /// <summary>Each entry's code value.</summary>
    public ReadOnlySpan<float> Values { get; } = values;

    /// <summary>Each entry's pre-activation gradient.</summary>
    public ReadOnlySpan<float> PreGradients { get; } = preGradients;

    /// <summary>The number of entries.</summary>
    public int Count => Rows.Length;
}
