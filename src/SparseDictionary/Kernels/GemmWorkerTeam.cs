namespace SparseDictionary.Kernels;

/// <summary>
/// A process-wide team of dedicated helper threads that run GEMM work items alongside the calling thread.
/// </summary>
/// <remarks>
/// <para>
/// A GEMM call acquires the team (<see cref="TryAcquire"/>; if another call holds it, the caller simply runs on its
/// own thread), opens a region, runs a sequence of phases and closes the region. A phase is a number of independent
/// work items, handed out dynamically: the caller and the helpers claim item indices from one shared ticket, and the
/// caller returns from <see cref="RunPhase"/> once every item has completed, so phases act as barriers that only
/// ever wait for items already being executed (a helper that has not woken up yet never holds anyone up).
/// </para>
/// <para>
/// Nothing is allocated per call: the problem and the phase are copied into fields of the team, and each helper has
/// its own pinned A-packing buffer. Which thread runs an item never changes its result: items write disjoint parts
/// of C, and every C element is computed by the same code in the same order whoever computes it.
/// </para>
/// <para>
/// The ticket is one 64-bit word: bits 48..63 the phase sequence number, bits 24..47 the item count, bits 0..23 the
/// next unclaimed item. A helper claims item <c>i</c> by a compare-and-swap from <c>(seq, count, i)</c> to
/// <c>(seq, count, i + 1)</c>, so it can never claim an item of a phase that has already ended. The phase's fields
/// are written before the ticket is published and read only after a successful claim; they cannot change before
/// the claimed item completes.
/// </para>
/// </remarks>
internal sealed unsafe class GemmWorkerTeam
{
    /// <summary>Bits of the ticket holding the next item index (and, shifted, the item count).</summary>
    private const int IndexBits = 24;

    /// <summary>Mask of <see cref="IndexBits"/> bits.</summary>
    private const long IndexMask = (1L << IndexBits) - 1;

    /// <summary>The largest item count a phase may have.</summary>
    internal const int MaxItems = (1 << IndexBits) - 1;

    /// <summary>Guards <see cref="s_instance"/>: 1 while a call holds the team.</summary>
    private static int s_busy;

    /// <summary>The team, created on first use.</summary>
    private static GemmWorkerTeam? s_instance;

    /// <summary>Wakes helpers when a region opens.</summary>
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Each helper's A-packing buffer (pinned, so its aligned pointer stays valid).</summary>
    private readonly float[][] _packBuffers;

    /// <summary>The problem of the open region.</summary>
    private GemmProblem _problem;

    /// <summary>The phase being run.</summary>
    private GemmPhase _phase;

    /// <summary>The work ticket: phase sequence, item count, next item.</summary>
    private long _ticket;

    /// <summary>Items of the current phase that have completed.</summary>
    private int _completed;

    /// <summary>The sequence number of the current phase (16 bits are used).</summary>
    private int _sequence;

    /// <summary>Whether a region is open.</summary>
    private volatile bool _active;

    /// <summary>Helpers with an id up to this value take part in the open region.</summary>
    private volatile int _helperLimit;

    /// <summary>The first exception an item threw in the open region, rethrown by <see cref="EndRegion"/>.</summary>
    private Exception? _error;

    /// <summary>Creates the team and starts its helper threads.</summary>
    /// <param name="helperCount">The number of helper threads.</param>
    private GemmWorkerTeam(int helperCount)
    {
        HelperCount = helperCount;
        _packBuffers = new float[helperCount + 1][];
        for (int id = 1; id <= helperCount; id++)
        {
            _packBuffers[id] = GC.AllocateArray<float>(Gemm.PackABufferLength, pinned: true);
            var thread = new Thread(HelperMain)
            {
                IsBackground = true,
                Name = $"SparseDictionary GEMM {id}",
            };
            thread.Start(id);
        }
    }

    /// <summary>The number of helper threads (the team runs at most this many plus the caller).</summary>
    internal int HelperCount { get; }

    /// <summary>Takes the team for one call, creating it on first use.</summary>
    /// <returns>The team, or <see langword="null"/> if this machine has one core or another call holds it.</returns>
    internal static GemmWorkerTeam? TryAcquire()
    {
        if (Environment.ProcessorCount < 2 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            return null;
        }

        // Only the holder of s_busy reads or writes s_instance.
        return s_instance ??= new GemmWorkerTeam(Environment.ProcessorCount - 1);
    }

    /// <summary>Gives the team back after <see cref="EndRegion"/>.</summary>
    internal static void Release() => Volatile.Write(ref s_busy, 0);

    /// <summary>Opens a region: publishes the problem and wakes the helpers that will take part.</summary>
    /// <param name="problem">The problem every item of the region reads.</param>
    /// <param name="participants">The number of threads to run on, caller included (2 to <see cref="HelperCount"/> + 1).</param>
    internal void BeginRegion(in GemmProblem problem, int participants)
    {
        _problem = problem;
        _error = null;
        _helperLimit = participants - 1;
        _active = true;
        _wake.Release(participants - 1);
    }

    /// <summary>Runs one phase on the caller and the helpers and returns when all its items have completed.</summary>
    /// <param name="phase">The phase.</param>
    /// <param name="callerPackBuffer">The caller's aligned A-packing buffer.</param>
    internal void RunPhase(in GemmPhase phase, float* callerPackBuffer)
    {
        int count = phase.ItemCount;
        _phase = phase;
        _completed = 0;
        _sequence = (_sequence + 1) & 0xFFFF;
        Volatile.Write(ref _ticket, ((long)_sequence << (2 * IndexBits)) | ((long)count << IndexBits));

        RunItems(callerPackBuffer);

        var spinner = default(SpinWait);
        while (Volatile.Read(ref _completed) != count)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>Closes the region; rethrows the first exception an item threw.</summary>
    internal void EndRegion()
    {
        _active = false;
        _problem = default;
        _phase = default;
        if (_error is { } error)
        {
            _error = null;
            throw new AggregateException("A GEMM work item failed.", error);
        }
    }

    /// <summary>Claims and runs items of the current phase until none is left.</summary>
    /// <param name="packBuffer">The running thread's aligned A-packing buffer.</param>
    /// <returns>Whether at least one item was run.</returns>
    private bool RunItems(float* packBuffer)
    {
        bool ran = false;
        while (true)
        {
            long ticket = Volatile.Read(ref _ticket);
            int next = (int)(ticket & IndexMask);
            int count = (int)((ticket >> IndexBits) & IndexMask);
            if (next >= count)
            {
                return ran;
            }

            if (Interlocked.CompareExchange(ref _ticket, ticket + 1, ticket) != ticket)
            {
                continue;
            }

            ran = true;
            try
            {
                GemmSchedule.RunItem(in _problem, in _phase, next, packBuffer);
            }
#pragma warning disable CA1031 // An item's exception is handed to the caller, which rethrows it.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Interlocked.CompareExchange(ref _error, e, null);
            }
            finally
            {
                Interlocked.Increment(ref _completed);
            }
        }
    }

    /// <summary>A helper thread's loop: sleep until a region opens, then run items while it stays open.</summary>
    /// <param name="state">The helper's id, 1-based.</param>
    private void HelperMain(object? state)
    {
        int id = (int)state!;
        fixed (float* buffer = _packBuffers[id])
        {
            float* packBuffer = Gemm.Align(buffer);
            while (true)
            {
                _wake.Wait();
                var spinner = default(SpinWait);
                while (_active && id <= _helperLimit)
                {
                    if (RunItems(packBuffer))
                    {
                        spinner = default;
                    }
                    else
                    {
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }
            }
        }
    }
}
