namespace SparseDictionary.Kernels;

/// <summary>
/// Splits [0, rows) into chunks of <see cref="RowsPerTask"/> rows run in parallel (serially when there is one chunk).
/// Work per row must not depend on which chunk or thread runs it, so results are the same bits on any thread count.
/// </summary>
internal static class ParallelRows
{
    /// <summary>Rows per parallel task.</summary>
    internal const int RowsPerTask = 16;

    /// <summary>Runs <paramref name="body"/>(first, end) over every chunk of [0, <paramref name="rows"/>).</summary>
    public static void For(int rows, Action<int, int> body)
    {
        if (rows <= RowsPerTask)
        {
            body(0, rows);
            return;
        }

        var chunks = (rows + RowsPerTask - 1) / RowsPerTask;
        Parallel.For(0, chunks, c => body(c * RowsPerTask, Math.Min(rows, (c + 1) * RowsPerTask)));
    }
}
