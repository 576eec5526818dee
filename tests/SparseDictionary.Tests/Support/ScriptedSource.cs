
namespace SparseDictionary.Tests.Support;

/// <summary>The library's sources stop at nothing; this one fails, blocks and reports on request, around an inner source.</summary>
internal sealed class ScriptedSource(ISeekableActivationSource inner) : ISeekableActivationSource, IDisposable
{
    private int _inside;

    /// <summary>A read that would deliver this row throws <see cref="ScriptedFailure"/> (leaving the position unchanged).</summary>
    public long? FailingRow { get; set; }

    /// <summary>Fail only the first time a read covers <see cref="FailingRow"/>.</summary>
    public bool FailOnce { get; set; }

    /// <summary>When set, every read after the first <see cref="UngatedReads"/> waits for it.</summary>
    public ManualResetEventSlim? Gate { get; set; }

    public int UngatedReads { get; set; }

    /// <summary>Set when a gated read has started waiting.</summary>
    public ManualResetEventSlim Waiting { get; } = new();

    public int Reads { get; private set; }

    public bool Overlapped { get; private set; }

    public bool Disposed { get; private set; }

    public int Dimension => inner.Dimension;

    public long? Length => inner.Length;

    public long Position => inner.Position;

    public int Read(Matrix destination)
    {
        Enter();
        try
        {
            Reads++;
            if (Gate is { } gate && Reads > UngatedReads)
            {
                Waiting.Set();
                gate.Wait();
            }

            if (FailingRow is { } row && row >= inner.Position && row < inner.Position + destination.Rows && (inner.Length is null || row < inner.Length))
            {
                if (FailOnce)
                {
                    FailingRow = null;
                }

                throw new ScriptedFailure($"Row {row} cannot be read.");
            }

            return inner.Read(destination);
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
        }
    }

    public void Seek(long position)
    {
        Enter();
        inner.Seek(position);
        Interlocked.Decrement(ref _inside);
    }

    public void Reset()
    {
        Enter();
        inner.Reset();
        Interlocked.Decrement(ref _inside);
    }

    public void Dispose()
    {
        Disposed = true;
        Waiting.Dispose();
    }

    private void Enter()
    {
        if (Interlocked.Increment(ref _inside) != 1)
        {
            Overlapped = true;
        }
    }
}

/// <summary>The failure a <see cref="ScriptedSource"/> throws.</summary>
internal sealed class ScriptedFailure(string message) : Exception(message);

/// <summary>Hides whether a source is seekable.</summary>
internal sealed class ForwardOnlySource(IActivationSource inner) : IActivationSource
{
    public int Dimension => inner.Dimension;

    public long? Length => inner.Length;

    public int Read(Matrix destination) => inner.Read(destination);

    public void Reset() => inner.Reset();
}
