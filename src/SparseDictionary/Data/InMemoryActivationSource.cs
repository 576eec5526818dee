using SparseDictionary.Randomness;

namespace SparseDictionary;

/// <summary>
/// Serves the rows of a matrix held in memory, without copying it, in order or in a seeded shuffled order, for one
/// pass or looping over epochs (each epoch with its own permutation).
/// </summary>
public sealed class InMemoryActivationSource : ISeekableActivationSource
{
    private readonly Matrix _data;
    private readonly bool _shuffle;
    private readonly bool _loop;
    private readonly int _seed;
    private readonly int[] _order;
    private long _epoch;
    private int _position;

    /// <summary>Creates a source over <paramref name="data"/> (rows are samples). The matrix is referenced, not copied.</summary>
    /// <param name="data">The rows; at least one.</param>
    /// <param name="shuffle">Serve each epoch in a new seeded random order.</param>
    /// <param name="loop">Start a new epoch when one ends (an unbounded source); otherwise the source is exhausted after one pass.</param>
    /// <param name="seed">Seed of the shuffling.</param>
    /// <exception cref="ArgumentException">The matrix has no rows or no columns.</exception>
    public InMemoryActivationSource(Matrix data, bool shuffle = false, bool loop = true, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Rows == 0 || data.Columns == 0)
        {
            throw new ArgumentException($"The data is {data.Rows} x {data.Columns}; a source needs at least one row and one column.", nameof(data));
        }

        _data = data;
        _shuffle = shuffle;
        _loop = loop;
        _seed = seed;
        _order = new int[data.Rows];
        Reset();
    }

    /// <inheritdoc />
    public int Dimension => _data.Columns;

    /// <inheritdoc />
    public long? Length => _loop ? null : _data.Rows;

    /// <summary>Rows per epoch.</summary>
    public int RowCount => _data.Rows;

    /// <inheritdoc />
    public int Read(Matrix destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Columns != Dimension)
        {
            throw new ArgumentException($"The destination has {destination.Columns} columns but the source's rows have {Dimension}.", nameof(destination));
        }

        var written = 0;
        while (written < destination.Rows)
        {
            if (_position == _data.Rows)
            {
                if (!_loop)
                {
                    break;
                }

                _epoch++;
                _position = 0;
                FillOrder();
            }

            var take = Math.Min(destination.Rows - written, _data.Rows - _position);
            if (_shuffle)
            {
                for (var i = 0; i < take; i++)
                {
                    _data.Row(_order[_position + i]).CopyTo(destination.Row(written + i));
                }
            }
            else
            {
                _data.Span.Slice(_position * Dimension, take * Dimension).CopyTo(destination.Span.Slice(written * Dimension));
            }

            _position += take;
            written += take;
        }

        return written;
    }

    /// <inheritdoc />
    public long Position => (_epoch * _data.Rows) + _position;

    /// <inheritdoc />
    public void Seek(long position)
    {
        var end = Length ?? long.MaxValue;
        if (position < 0 || position > end)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, $"The position must be in [0, {(Length is { } length ? length.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unbounded")}] but is {position}.");
        }

        // Within an epoch, or at the end of the last one for a one-pass source.
        var epoch = Math.Min(position / _data.Rows, _loop ? long.MaxValue : 0);
        _epoch = epoch;
        _position = (int)(position - (epoch * _data.Rows));
        FillOrder();
    }

    /// <inheritdoc />
    public void Reset()
    {
        _epoch = 0;
        _position = 0;
        FillOrder();
    }

    private void FillOrder()
    {
        for (var i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }

        if (!_shuffle)
        {
            return;
        }

        var random = new DeterministicRandom(DeterministicRandom.DeriveSeed((ulong)(uint)_seed, (ulong)_epoch));
        for (var i = _order.Length - 1; i > 0; i--)
        {
            var j = random.NextInt(i + 1);
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }
    }
}
