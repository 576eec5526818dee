using SparseDictionary.IO;

namespace SparseDictionary;

/// <summary>
/// Serves the rows of a list of NumPy <c>.npy</c> shards (2-D float32 or float16 arrays with the same column count), or
/// of every <c>.npy</c> file of a folder, out of core: the shards are memory-mapped and each row is copied from the
/// mapping into the caller's batch, so a data set several times larger than the memory can be trained on.
/// </summary>
/// <remarks>
/// <para>The stream: shards in order (sorted by file name for a folder), each shard's rows in order, for one pass or
/// looping over epochs. With <c>shuffle</c>, each epoch e reads the shards in a permutation drawn from (seed, e), and
/// within shard s its rows in a permutation drawn from (seed, e, s): every row exactly once per epoch, a new order each
/// epoch, the same order for the same seed. Shuffling thus mixes rows within a shard and the order of shards, not rows
/// across shards, so shards should each hold a mix of the data (as activation dumps over shuffled documents do).</para>
/// <para>Shuffled reads are random row reads inside one shard at a time. A mapped shard's pages are served from the page
/// cache, so for data larger than the memory each shard should fit in the page cache: then a shard is read from the
/// disk about once per epoch, and the pages of shards already read are dropped by the operating system as needed.
/// Reading in order streams through the shards.</para>
/// <para>Positions: <see cref="Position"/> is the number of rows read since <see cref="Reset"/>, and the order is a
/// function of the position, so <see cref="Seek"/> costs O(shards) and the rows read after Seek(p) are exactly the rows
/// a sequential reader reads after p rows.</para>
/// <para>The shards' headers are all validated when the source is created; one shard at a time is mapped while reading
/// (so a folder of thousands of shards does not hold thousands of mappings), and a shard whose shape changed since is
/// refused. A failed <see cref="Read"/> leaves the position where it was. <see cref="Dispose"/> unmaps the open shard.</para>
/// </remarks>
public sealed class NpyActivationSource : ISeekableActivationSource, IDisposable
{
    private readonly string[] _paths;
    private readonly long[] _rows;
    private readonly ShardCursor _cursor;
    private NpyFile? _open;
    private int _openIndex = -1;
    private bool _disposed;

    /// <summary>Creates a source over the shards <paramref name="paths"/>, read in the order given.</summary>
    /// <param name="paths">The .npy files; at least one, with the same column count and at least one row in all.</param>
    /// <param name="shuffle">Shuffle the shard order and each shard's rows, anew each epoch (see the remarks).</param>
    /// <param name="loop">Start a new epoch when one ends (an unbounded source); otherwise the source ends after one pass.</param>
    /// <param name="seed">Seed of the shuffling.</param>
    /// <exception cref="ArgumentException">No path is given, or the shards hold no rows.</exception>
    /// <exception cref="FileNotFoundException">A shard does not exist.</exception>
    /// <exception cref="InvalidDataException">A shard is not a valid .npy file, has no columns, or has another column count than the first; the message names the shard.</exception>
    public NpyActivationSource(IEnumerable<string> paths, bool shuffle = false, bool loop = true, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(paths);
        _paths = [.. paths];
        if (_paths.Length == 0)
        {
            throw new ArgumentException("Expected at least one .npy shard.", nameof(paths));
        }

        _rows = new long[_paths.Length];
        for (var i = 0; i < _paths.Length; i++)
        {
            ArgumentException.ThrowIfNullOrEmpty(_paths[i], nameof(paths));
            using var file = NpyFile.Open(_paths[i]);
            if (file.Columns == 0)
            {
                throw new InvalidDataException($"Shard {file.Path} has shape ({file.Rows}, 0); rows need at least one column.");
            }

            if (i > 0 && file.Columns != Dimension)
            {
                throw new InvalidDataException($"Shard {file.Path} has {file.Columns} columns but shard {_paths[0]} has {Dimension}; all shards must have the same column count.");
            }

            Dimension = file.Columns;
            _rows[i] = file.Rows;
        }

        if (_rows.Sum() == 0)
        {
            throw new ArgumentException($"The {_paths.Length} shards (the first is {_paths[0]}) hold no rows; a source needs at least one.", nameof(paths));
        }

        _cursor = new ShardCursor(_rows, shuffle, loop, seed);
    }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public long? Length => _cursor.Length;

    /// <summary>Rows per epoch (all shards).</summary>
    public long RowCount => _cursor.RowCount;

    /// <summary>The shards' paths, in their unshuffled order.</summary>
    public IReadOnlyList<string> ShardPaths => _paths;

    /// <inheritdoc />
    public long Position => _cursor.Position;

    /// <summary>Creates a source over every <c>*.npy</c> file directly inside <paramref name="folder"/>, sorted by file name (ordinal).</summary>
    /// <param name="folder">The folder of shards.</param>
    /// <param name="shuffle">Shuffle the shard order and each shard's rows, anew each epoch.</param>
    /// <param name="loop">Start a new epoch when one ends; otherwise the source ends after one pass.</param>
    /// <param name="seed">Seed of the shuffling.</param>
    /// <returns>The source; dispose it to unmap the open shard.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ArgumentException">The folder holds no .npy file.</exception>
    /// <exception cref="InvalidDataException">A shard is invalid or has another column count than the first.</exception>
    public static NpyActivationSource FromFolder(string folder, bool shuffle = false, bool loop = true, int seed = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var paths = Directory.GetFiles(folder, "*.npy", SearchOption.TopDirectoryOnly)
            .Where(p => p.EndsWith(".npy", StringComparison.Ordinal))
            .OrderBy(System.IO.Path.GetFileName, StringComparer.Ordinal)
            .ToArray();
        if (paths.Length == 0)
        {
            throw new ArgumentException($"The folder {folder} holds no .npy file.", nameof(folder));
        }

        return new NpyActivationSource(paths, shuffle, loop, seed);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">A shard changed since the source was created; the position is left where it was.</exception>
    /// <exception cref="ObjectDisposedException">The source was disposed.</exception>
    public int Read(Matrix destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Columns != Dimension)
        {
            throw new ArgumentException($"The destination has {destination.Columns} columns but the shards' rows have {Dimension}.", nameof(destination));
        }

        var start = _cursor.Position;
        var written = 0;
        try
        {
            var values = destination.Span;
            while (written < destination.Rows && _cursor.Next(destination.Rows - written, out var shard, out var row, out var count))
            {
                Shard(shard).ReadRows(row, count, values.Slice(written * Dimension, count * Dimension));
                written += count;
            }
        }
        catch
        {
            _cursor.Seek(start);
            throw;
        }

        return written;
    }

    /// <inheritdoc />
    public void Seek(long position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _cursor.Seek(position);
    }

    /// <inheritdoc />
    public void Reset() => Seek(0);

    /// <summary>Unmaps the open shard; the source cannot be read afterwards.</summary>
    public void Dispose()
    {
        _disposed = true;
        _open?.Dispose();
        _open = null;
        _openIndex = -1;
    }

    private NpyFile Shard(int index)
    {
        if (_openIndex == index)
        {
            return _open!;
        }

        _open?.Dispose();
        _open = null;
        _openIndex = -1;
        var file = NpyFile.Open(_paths[index]);
        if (file.Rows != _rows[index] || file.Columns != Dimension)
        {
            file.Dispose();
            throw new InvalidDataException($"Shard {_paths[index]} now holds ({file.Rows}, {file.Columns}) but held ({_rows[index]}, {Dimension}) when the source was created; a shard must not change while it is read.");
        }

        (_open, _openIndex) = (file, index);
        return file;
    }
}
