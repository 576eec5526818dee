
namespace SparseDictionary;

/// <summary>
/// Reads ahead of its caller: after each <see cref="Read"/> of n rows it starts reading the next n rows of the inner
/// source into a buffer of its own on a background task, so that the next read, while training runs on the last
/// batch, only copies rows that are already there. The stream of rows is exactly the inner source's.
/// </summary>
/// <remarks>
/// <para>Equivalence: the inner source is read in the same order with possibly different batch sizes; since a source's
/// stream is a function of its position, the rows delivered are the rows the inner source would deliver. A read of a
/// different size than the one prefetched takes what it needs from the buffer and reads any rest directly.</para>
/// <para>Errors: an exception of the inner source is thrown by the read on which it would have occurred. A prefetch
/// that failed is rethrown by the next read when that read asks for the rows prefetched; a read of another size
/// discards the failure and reads directly, which repeats it only if those rows fail again. This relies on the inner
/// source keeping its position on a failed read, as the library's sources do.</para>
/// <para>Positions: <see cref="Position"/> counts the rows delivered to the caller since <see cref="Reset"/>, not the rows
/// prefetched. <see cref="Seek"/>, <see cref="Reset"/> and <see cref="Dispose"/> first cancel a prefetch that has not
/// started and wait for one in flight, then discard the rows read ahead. Seek is forwarded to an inner
/// <see cref="ISeekableActivationSource"/>; another inner source is reset and read forward to the position.</para>
/// <para>The decorator owns the inner source's position: do not read or seek the inner source while it is in use. Like
/// the other sources, it is meant for one caller at a time. Disposing it disposes the inner source unless told not to.</para>
/// </remarks>
public sealed class PrefetchingActivationSource : ISeekableActivationSource, IDisposable
{
    private const int SkipChunkRows = 4096;

    private readonly IActivationSource _inner;
    private readonly bool _leaveInnerOpen;
    private Matrix? _buffer;
    private Task<int>? _prefetch;
    private CancellationTokenSource? _cancel;
    private int _prefetchRows;
    private int _bufferedStart;
    private int _bufferedCount;
    private long _delivered;
    private bool _disposed;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The source to read ahead of.</param>
    /// <param name="leaveInnerOpen">Keep the inner source undisposed when this one is disposed.</param>
    public PrefetchingActivationSource(IActivationSource inner, bool leaveInnerOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _leaveInnerOpen = leaveInnerOpen;
    }

    /// <summary>The source read ahead of.</summary>
    public IActivationSource Inner => _inner;

    /// <inheritdoc />
    public int Dimension => _inner.Dimension;

    /// <inheritdoc />
    public long? Length => _inner.Length;

    /// <summary>Rows delivered to the caller since the last <see cref="Reset"/> (or the position of the last <see cref="Seek"/> plus the rows delivered since).</summary>
    public long Position => _delivered;

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The source was disposed.</exception>
    public int Read(Matrix destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Columns != Dimension)
        {
            throw new ArgumentException($"The destination has {destination.Columns} columns but the source's rows have {Dimension}.", nameof(destination));
        }

        var rows = destination.Rows;
        if (_prefetch is { } prefetch)
        {
            var requested = _prefetchRows;
            _prefetch = null;
            int count;
            try
            {
                count = prefetch.GetAwaiter().GetResult();
            }
            catch (Exception) when (requested != rows)
            {
                // This read does not ask for exactly the rows that failed: read directly, as the inner source would.
                count = 0;
            }
            finally
            {
                _cancel!.Dispose();
                _cancel = null;
            }

            (_bufferedStart, _bufferedCount) = (0, count);
        }

        var (keptStart, keptCount) = (_bufferedStart, _bufferedCount);
        var written = Math.Min(_bufferedCount, rows);
        if (written > 0)
        {
            _buffer!.SliceRows(_bufferedStart, written).Span.CopyTo(destination.Span);
            _bufferedStart += written;
            _bufferedCount -= written;
        }

        if (written < rows)
        {
            try
            {
                written += _inner.Read(destination.SliceRows(written, rows - written));
            }
            catch
            {
                (_bufferedStart, _bufferedCount) = (keptStart, keptCount);
                throw;
            }
        }

        _delivered += written;
        if (_bufferedCount == 0 && rows > 0 && written == rows)
        {
            StartPrefetch(rows);
        }

        return written;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Forwarded to an inner <see cref="ISeekableActivationSource"/>; another inner source is reset and read forward
    /// (O(position)), stopping early if its stream ends first.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The source was disposed.</exception>
    public void Seek(long position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (position < 0 || position > (Length ?? long.MaxValue))
        {
            var end = Length is { } length ? length.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unbounded";
            throw new ArgumentOutOfRangeException(nameof(position), position, $"The position must be in [0, {end}] but is {position}.");
        }

        DiscardPrefetch();
        if (_inner is ISeekableActivationSource seekable)
        {
            try
            {
                seekable.Seek(position);
            }
            catch
            {
                // Realign the inner source with the rows delivered (the rows read ahead were discarded).
                seekable.Seek(_delivered);
                throw;
            }

            _delivered = position;
            return;
        }

        _inner.Reset();
        _delivered = 0;
        if (position == 0)
        {
            return;
        }

        var scratch = new Matrix((int)Math.Min(SkipChunkRows, position), Dimension);
        while (_delivered < position)
        {
            var read = _inner.Read(scratch.SliceRows(0, (int)Math.Min(scratch.Rows, position - _delivered)));
            if (read == 0)
            {
                break;
            }

            _delivered += read;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The source was disposed.</exception>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        DiscardPrefetch();
        _inner.Reset();
        _delivered = 0;
    }

    /// <summary>Waits for a prefetch in flight, then disposes the inner source unless it was to be left open.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        DiscardPrefetch();
        _disposed = true;
        _buffer = null;
        if (!_leaveInnerOpen && _inner is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    private void StartPrefetch(int rows)
    {
        if (_buffer is null || _buffer.Rows < rows)
        {
            _buffer = new Matrix(rows, Dimension);
        }

        var target = _buffer.SliceRows(0, rows);
        var inner = _inner;
        _cancel = new CancellationTokenSource();
        _prefetchRows = rows;
        _prefetch = Task.Run(() => inner.Read(target), _cancel.Token);
    }

    private void DiscardPrefetch()
    {
        if (_prefetch is { } prefetch)
        {
            _cancel!.Cancel();

            // Wait without throwing, and mark a failure as observed: the rows it was reading are no longer wanted.
            Task.WaitAny(prefetch);
            _ = prefetch.Exception;
            _cancel.Dispose();
            (_prefetch, _cancel) = (null, null);
        }

        (_bufferedStart, _bufferedCount) = (0, 0);
    }
}
