using SparseDictionary.Randomness;

namespace SparseDictionary;

/// <summary>
/// The position of a stream of rows over shards (files, or tensors) read in order or in a seeded shuffled order, for
/// one pass or looping over epochs. It decides which rows come next; the sources that use it copy them.
/// </summary>
/// <remarks>
/// <para>Order: without shuffling, every epoch reads the shards in their given order and each shard's rows in order.
/// With shuffling, epoch e reads the shards in a permutation drawn from (seed, e), and inside shard s the rows in a
/// permutation drawn from (seed, e, s). Both are functions of the position alone, so <see cref="Seek"/> needs no history:
/// it draws the epoch's shard order (O(shards)) and walks it to the shard holding the position. The row permutation of a
/// shard is drawn when its first row is read (O(rows of the shard), once per shard and epoch) and kept in one buffer
/// sized for the largest shard.</para>
/// <para>Empty shards are allowed and skipped; the shards must hold at least one row in all.</para>
/// </remarks>
internal sealed class ShardCursor
{
    private readonly long[] _shardRows;
    private readonly bool _shuffle;
    private readonly bool _loop;
    private readonly ulong _seed;
    private readonly int[] _shardOrder;
    private int[] _rowOrder = [];
    private int _rowOrderShard = -1;
    private long _rowOrderEpoch = -1;
    private long _epoch;
    private int _orderIndex;
    private long _rowInShard;
    private long _epochOffset;

    /// <summary>Creates a cursor over shards of the given row counts, positioned at the start.</summary>
    /// <exception cref="ArgumentException">The shards hold no row, or shuffling a shard of more rows than one permutation array holds.</exception>
    public ShardCursor(IReadOnlyList<long> shardRows, bool shuffle, bool loop, int seed)
    {
        _shardRows = [.. shardRows];
        if (_shardRows.Length == 0 || _shardRows.Any(r => r < 0))
        {
            throw new ArgumentException("Expected at least one shard and no negative row count.", nameof(shardRows));
        }

        RowCount = _shardRows.Sum();
        if (RowCount == 0)
        {
            throw new ArgumentException($"The {_shardRows.Length} shards hold no rows; a source needs at least one.", nameof(shardRows));
        }

        if (shuffle && _shardRows.Max() > Array.MaxLength)
        {
            throw new ArgumentException($"A shard holds {_shardRows.Max()} rows; shuffling draws a permutation per shard, of at most {Array.MaxLength} rows. Split the shard.", nameof(shardRows));
        }

        _shuffle = shuffle;
        _loop = loop;
        _seed = (ulong)(uint)seed;
        _shardOrder = new int[_shardRows.Length];
        Seek(0);
    }

    /// <summary>Rows in one epoch (all shards).</summary>
    public long RowCount { get; }

    /// <summary>Rows of the stream: null when looping, else <see cref="RowCount"/>.</summary>
    public long? Length => _loop ? null : RowCount;

    /// <summary>Rows read since the start of the stream.</summary>
    public long Position => (_epoch * RowCount) + _epochOffset + _rowInShard;

    /// <summary>Moves to <paramref name="position"/> rows after the start, in O(shards).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The position is negative or past the end of a one-pass stream.</exception>
    public void Seek(long position)
    {
        if (position < 0 || (!_loop && position > RowCount))
        {
            var end = _loop ? "unbounded" : RowCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw new ArgumentOutOfRangeException(nameof(position), position, $"The position must be in [0, {end}] but is {position}.");
        }

        // A one-pass stream's end is the end of epoch 0; a looping stream's is the start of the next epoch.
        var epoch = _loop ? position / RowCount : 0;
        var inEpoch = position - (epoch * RowCount);
        _epoch = epoch;
        FillShardOrder();
        _orderIndex = 0;
        _epochOffset = 0;
        while (_orderIndex < _shardOrder.Length && inEpoch >= _epochOffset + _shardRows[_shardOrder[_orderIndex]])
        {
            _epochOffset += _shardRows[_shardOrder[_orderIndex]];
            _orderIndex++;
        }

        _rowInShard = inEpoch - _epochOffset;
    }

    /// <summary>
    /// Takes the next run of rows that lie one after another in one shard: up to <paramref name="maxRows"/> rows in order,
    /// or one row when shuffling. Returns false at the end of a one-pass stream.
    /// </summary>
    public bool Next(int maxRows, out int shard, out long firstRow, out int count)
    {
        while (_orderIndex == _shardOrder.Length || _rowInShard == _shardRows[_shardOrder[_orderIndex]])
        {
            if (_orderIndex < _shardOrder.Length)
            {
                _epochOffset += _shardRows[_shardOrder[_orderIndex]];
                _orderIndex++;
                _rowInShard = 0;
                continue;
            }

            if (!_loop)
            {
                (shard, firstRow, count) = (-1, 0, 0);
                return false;
            }

            _epoch++;
            FillShardOrder();
            _orderIndex = 0;
            _epochOffset = 0;
        }

        shard = _shardOrder[_orderIndex];
        if (_shuffle)
        {
            firstRow = RowOrder(shard)[_rowInShard];
            count = 1;
        }
        else
        {
            firstRow = _rowInShard;
            count = (int)Math.Min(maxRows, _shardRows[shard] - _rowInShard);
        }

        _rowInShard += count;
        return true;
    }

    private void FillShardOrder()
    {
        for (var i = 0; i < _shardOrder.Length; i++)
        {
            _shardOrder[i] = i;
        }

        if (_shuffle)
        {
            Shuffle(_shardOrder, new DeterministicRandom(DeterministicRandom.DeriveSeed(EpochSeed(), 0)));
        }
    }

    private int[] RowOrder(int shard)
    {
        if (_rowOrderShard == shard && _rowOrderEpoch == _epoch)
        {
            return _rowOrder;
        }

        var rows = (int)_shardRows[shard];
        if (_rowOrder.Length < rows)
        {
            _rowOrder = new int[rows];
        }

        for (var i = 0; i < rows; i++)
        {
            _rowOrder[i] = i;
        }

        Shuffle(_rowOrder.AsSpan(0, rows), new DeterministicRandom(DeterministicRandom.DeriveSeed(EpochSeed(), (ulong)shard + 1)));
        (_rowOrderShard, _rowOrderEpoch) = (shard, _epoch);
        return _rowOrder;
    }

    private ulong EpochSeed() => DeterministicRandom.DeriveSeed(_seed, (ulong)_epoch);

    private static void Shuffle(Span<int> values, DeterministicRandom random)
    {
        for (var i = values.Length - 1; i > 0; i--)
        {
            var j = random.NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
