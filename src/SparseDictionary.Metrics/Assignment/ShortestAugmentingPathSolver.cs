using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SparseDictionary.Metrics.Assignment;

/// <summary>
/// The numeric core of <see cref="LinearAssignment"/>: a Jonker-Volgenant (LAPJV) style solver for a dense
/// <c>n x m</c> minimum-cost assignment with <c>1 &lt;= n &lt;= m</c> and finite costs.
/// </summary>
/// <remarks>
/// <para>
/// Dual feasibility is kept implicitly through the column potentials <c>v</c>: every assigned row <c>i</c> has
/// <c>c[i, x[i]] - v[x[i]] = min_j (c[i, j] - v[j])</c>, so with <c>u[i]</c> that row minimum all reduced costs
/// <c>c[i, j] - u[i] - v[j]</c> are non-negative and vanish on assigned pairs.
/// </para>
/// <para>
/// Phases: (1) square problems only, column reduction and reduction transfer (JV 1987); (2) two passes of augmenting
/// row reduction, which assigns most free rows cheaply; (3) for each remaining free row, a Dijkstra shortest path
/// over the reduced costs to an unassigned column, followed by the potential update and augmentation. For a
/// rectangular problem the potentials start at zero and only ever decrease on assigned columns, so the unassigned
/// columns keep <c>v = 0</c>, which together with the above is the optimality condition of the rectangular LP.
/// </para>
/// <para>
/// The Dijkstra scan runs over all <c>m</c> columns with 256-bit vectors: finished columns are masked out by setting
/// their working potential to <c>-inf</c> (so candidate distances become <c>+inf</c>) and their distance to
/// <c>+inf</c> (so they are never the minimum), which keeps the loop contiguous, with stores only for the groups of
/// four columns where a distance improves.
/// </para>
/// <para>
/// Only the hot leaf kernels (<c>ScanRow</c>, <c>TwoMin</c>, <c>MinReduced</c>) are marked
/// <see cref="MethodImplOptions.AggressiveOptimization"/>: that keeps a one-off call from spending its first few
/// hundred milliseconds in unoptimised code, while the callers keep tiered compilation, which measured faster in
/// steady state.
/// </para>
/// </remarks>
internal static unsafe class ShortestAugmentingPathSolver
{
    /// <summary>Solves the problem in place.</summary>
    /// <typeparam name="TCosts">The working-cost view; a struct so that the loads are specialised and inlined.</typeparam>
    /// <param name="costs">Row-major <c>n x m</c> working costs (all finite).</param>
    /// <param name="n">Number of rows, <c>1 &lt;= n &lt;= m</c>.</param>
    /// <param name="m">Number of columns.</param>
    /// <param name="rowToColumn">Receives the column of each row (length <c>n</c>).</param>
    /// <param name="columnToRow">Receives the row of each column or <c>-1</c> (length <c>m</c>).</param>
    /// <param name="v">Receives the column potentials (length <c>m</c>).</param>
    /// <param name="simd">Whether to use the 256-bit vector loops.</param>
    internal static void Solve<TCosts>(TCosts costs, int n, int m, int[] rowToColumn, int[] columnToRow, double[] v, bool simd)
        where TCosts : struct, IWorkingCosts
    {
        Array.Fill(rowToColumn, -1);
        Array.Fill(columnToRow, -1);
        if (m == 1)
        {
            // Then n == 1 too.
            rowToColumn[0] = 0;
            columnToRow[0] = 0;
            v[0] = costs[0];
            return;
        }

        var free = new int[n];
        int freeCount;
        double[]? d = null;
        fixed (double* pv = v)
        {
            if (n == m)
            {
                d = GC.AllocateUninitializedArray<double>(m);
                fixed (double* argRow = d)
                {
                    freeCount = ColumnReduction(costs, n, rowToColumn, columnToRow, pv, argRow, free, simd);
                }
            }
            else
            {
                Array.Clear(v);
                for (var i = 0; i < n; i++)
                {
                    free[i] = i;
                }

                freeCount = n;
            }

            for (var pass = 0; pass < 2 && freeCount > 0; pass++)
            {
                freeCount = AugmentingRowReduction(costs, m, rowToColumn, columnToRow, pv, free, freeCount, simd);
            }
        }

        if (freeCount == 0)
        {
            return;
        }

        // Shortest-path scratch, allocated only when needed (wide problems are often finished by row reduction).
        d ??= GC.AllocateUninitializedArray<double>(m);
        var vm = GC.AllocateUninitializedArray<double>(m);
        var pred = GC.AllocateUninitializedArray<double>(m);
        var ready = GC.AllocateUninitializedArray<int>(m);
        var readyD = GC.AllocateUninitializedArray<double>(m);
        fixed (double* pv = v, pd = d, pvm = vm, ppred = pred, preadyD = readyD)
        fixed (int* pready = ready)
        {
            for (var k = 0; k < freeCount; k++)
            {
                Augment(costs, m, free[k], rowToColumn, columnToRow, pv, pd, pvm, ppred, pready, preadyD, simd);
            }
        }
    }

    /// <summary>
    /// Column reduction (each column's potential is its minimum; its minimising row takes it if still free) and
    /// reduction transfer (a row that won exactly one column moves its slack into that column's potential).
    /// </summary>
    /// <returns>The number of free rows written to <paramref name="free"/>.</returns>
    private static int ColumnReduction<TCosts>(TCosts c, int n, int[] x, int[] y, double* v, double* argRow, int[] free, bool simd)
        where TCosts : struct, IWorkingCosts
    {
        for (var j = 0; j < n; j++)
        {
            v[j] = double.PositiveInfinity;
            argRow[j] = 0.0;
        }

        for (var i = 0; i < n; i++)
        {
            var row = (long)i * n;
            var j = 0;
            if (simd)
            {
                var iv = Vector256.Create((double)i);
                for (; j <= n - 4; j += 4)
                {
                    var r = c.Load4(row + j);
                    var cur = Vector256.Load(v + j);
                    var lt = Vector256.LessThan(r, cur);
                    Vector256.ConditionalSelect(lt, r, cur).Store(v + j);
                    Vector256.ConditionalSelect(lt, iv, Vector256.Load(argRow + j)).Store(argRow + j);
                }
            }

            for (; j < n; j++)
            {
                var r = c[row + j];
                if (r < v[j])
                {
                    v[j] = r;
                    argRow[j] = i;
                }
            }
        }

        var multiple = new bool[n];
        for (var j = n - 1; j >= 0; j--)
        {
            var i = (int)argRow[j];
            if (x[i] < 0)
            {
                x[i] = j;
                y[j] = i;
            }
            else
            {
                multiple[i] = true;
            }
        }

        var freeCount = 0;
        for (var i = 0; i < n; i++)
        {
            if (x[i] < 0)
            {
                free[freeCount++] = i;
            }
            else if (!multiple[i])
            {
                // Reduction transfer: v[j1] becomes c[i, j1] - min_{j != j1} (c[i, j] - v[j]).
                var j1 = x[i];
                var saved = v[j1];
                v[j1] = double.NegativeInfinity;
                var slack = MinReduced(c, (long)i * n, v, n, simd);
                v[j1] = saved - slack;
            }
        }

        return freeCount;
    }

    /// <summary>
    /// One pass of augmenting row reduction: each free row takes its cheapest reduced column, lowering that column's
    /// potential to the row's second-cheapest value when that is strictly larger; a displaced row is either
    /// processed at once (potential lowered) or queued for the next pass.
    /// </summary>
    /// <returns>The number of rows still free, stored at the start of <paramref name="free"/>.</returns>
    private static int AugmentingRowReduction<TCosts>(TCosts c, int m, int[] x, int[] y, double* v, int[] free, int freeCount, bool simd)
        where TCosts : struct, IWorkingCosts
    {
        // Bound the work: with real-valued costs the chain of displacements terminates, but can be long when the
        // decrements are tiny, and on random costs running it to completion costs more row scans than the shortest
        // paths it saves. Rows left over are handed to the shortest-path phase, which is always exact.
        var budget = (2L * freeCount) + (2L * x.Length) + 16;
        var k = 0;
        var newCount = 0;
        while (k < freeCount)
        {
            var i = free[k++];
            if (--budget < 0)
            {
                free[newCount++] = i;
                while (k < freeCount)
                {
                    free[newCount++] = free[k++];
                }

                break;
            }

            TwoMin(c, (long)i * m, v, m, simd, out var u1, out var j1, out var u2, out var j2);
            var i0 = y[j1];
            var lowered = u1 < u2;
            if (lowered)
            {
                v[j1] -= u2 - u1;
            }
            else if (i0 >= 0)
            {
                j1 = j2;
                i0 = y[j2];
            }

            x[i] = j1;
            y[j1] = i;
            if (i0 >= 0)
            {
                x[i0] = -1;
                if (lowered)
                {
                    free[--k] = i0;
                }
                else
                {
                    free[newCount++] = i0;
                }
            }
        }

        return newCount;
    }

    /// <summary>Dijkstra shortest augmenting path from free row <paramref name="f"/>, then potential update and augmentation.</summary>
    private static void Augment<TCosts>(
        TCosts c, int m, int f, int[] x, int[] y, double* v, double* d, double* vm, double* pred, int* ready, double* readyD, bool simd)
        where TCosts : struct, IWorkingCosts
    {
        Unsafe.CopyBlockUnaligned(vm, v, (uint)m * sizeof(double));
        new Span<double>(d, m).Fill(double.PositiveInfinity);
        var jmin = ScanRow(c, (long)f * m, vm, d, pred, m, 0.0, f, simd, out var mind);
        var readyCount = 0;
        while (true)
        {
            if (jmin < 0)
            {
                throw new InvalidOperationException("The assignment problem is infeasible: no augmenting path exists.");
            }

            var i = y[jmin];
            if (i < 0)
            {
                break;
            }

            ready[readyCount] = jmin;
            readyD[readyCount++] = mind;
            d[jmin] = double.PositiveInfinity;
            vm[jmin] = double.NegativeInfinity;
            var row = (long)i * m;
            var h = c[row + jmin] - v[jmin] - mind;
            jmin = ScanRow(c, row, vm, d, pred, m, h, i, simd, out mind);
        }

        for (var k = 0; k < readyCount; k++)
        {
            v[ready[k]] += readyD[k] - mind;
        }

        var j = jmin;
        while (true)
        {
            var i = (int)pred[j];
            y[j] = i;
            var previous = x[i];
            x[i] = j;
            if (i == f)
            {
                break;
            }

            j = previous;
        }
    }

    /// <summary>
    /// Relaxes the distances of the unfinished columns through row <paramref name="row"/> (candidate
    /// <c>c[row, j] - vm[j] - h</c>) and returns the unfinished column of least distance (lowest index on ties).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ScanRow<TCosts>(
        TCosts c, long row, double* vm, double* d, double* pred, int m, double h, int rowIndex, bool simd, out double min)
        where TCosts : struct, IWorkingCosts
    {
        var best = double.PositiveInfinity;
        var bestIndex = -1;
        var j = 0;
        if (simd && m >= 4)
        {
            var hv = Vector256.Create(h);
            var iv = Vector256.Create((double)rowIndex);
            var bestV = Vector256.Create(double.PositiveInfinity);
            var bestI = Vector256.Create(-1.0);
            var idx = Vector256.Create(0.0, 1.0, 2.0, 3.0);
            var step = Vector256.Create(4.0);
            for (; j <= m - 4; j += 4)
            {
                var cand = c.Load4(row + j) - Vector256.Load(vm + j) - hv;
                var dv = Vector256.Load(d + j);
                var lt = Vector256.LessThan(cand, dv);
                if (lt != Vector256<double>.Zero)
                {
                    dv = Vector256.ConditionalSelect(lt, cand, dv);
                    dv.Store(d + j);
                    Vector256.ConditionalSelect(lt, iv, Vector256.Load(pred + j)).Store(pred + j);
                }

                var better = Vector256.LessThan(dv, bestV);
                bestV = Vector256.Min(dv, bestV);
                bestI = Vector256.ConditionalSelect(better, idx, bestI);
                idx += step;
            }

            for (var lane = 0; lane < 4; lane++)
            {
                var value = bestV.GetElement(lane);
                var index = (int)bestI.GetElement(lane);
                if (index >= 0 && (value < best || (value == best && index < bestIndex)))
                {
                    best = value;
                    bestIndex = index;
                }
            }
        }

        for (; j < m; j++)
        {
            var cand = c[row + j] - vm[j] - h;
            var dj = d[j];
            if (cand < dj)
            {
                dj = cand;
                d[j] = cand;
                pred[j] = rowIndex;
            }

            if (dj < best)
            {
                best = dj;
                bestIndex = j;
            }
        }

        min = best;
        return bestIndex;
    }

    /// <summary>The smallest and second-smallest reduced cost <c>row[j] - v[j]</c> with their columns (lowest index on ties).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoMin<TCosts>(
        TCosts c, long row, double* v, int m, bool simd, out double u1, out int j1, out double u2, out int j2)
        where TCosts : struct, IWorkingCosts
    {
        u1 = double.PositiveInfinity;
        u2 = double.PositiveInfinity;
        j1 = -1;
        j2 = -1;
        var j = 0;
        if (simd && m >= 4)
        {
            var m1 = Vector256.Create(double.PositiveInfinity);
            var m2 = m1;
            var i1 = Vector256.Create(-1.0);
            var i2 = i1;
            var idx = Vector256.Create(0.0, 1.0, 2.0, 3.0);
            var step = Vector256.Create(4.0);
            for (; j <= m - 4; j += 4)
            {
                var r = c.Load4(row + j) - Vector256.Load(v + j);
                var lt1 = Vector256.LessThan(r, m1);
                var lt2 = Vector256.LessThan(r, m2);
                var n2 = Vector256.ConditionalSelect(lt1, m1, Vector256.ConditionalSelect(lt2, r, m2));
                i2 = Vector256.ConditionalSelect(lt1, i1, Vector256.ConditionalSelect(lt2, idx, i2));
                m2 = n2;
                m1 = Vector256.ConditionalSelect(lt1, r, m1);
                i1 = Vector256.ConditionalSelect(lt1, idx, i1);
                idx += step;
            }

            for (var lane = 0; lane < 4; lane++)
            {
                Offer(m1.GetElement(lane), (int)i1.GetElement(lane), ref u1, ref j1, ref u2, ref j2);
                Offer(m2.GetElement(lane), (int)i2.GetElement(lane), ref u1, ref j1, ref u2, ref j2);
            }
        }

        for (; j < m; j++)
        {
            var r = c[row + j] - v[j];
            if (r < u1)
            {
                u2 = u1;
                j2 = j1;
                u1 = r;
                j1 = j;
            }
            else if (r < u2)
            {
                u2 = r;
                j2 = j;
            }
        }
    }

    private static void Offer(double value, int index, ref double u1, ref int j1, ref double u2, ref int j2)
    {
        if (index < 0)
        {
            return;
        }

        if (j1 < 0 || value < u1 || (value == u1 && index < j1))
        {
            u2 = u1;
            j2 = j1;
            u1 = value;
            j1 = index;
        }
        else if (j2 < 0 || value < u2 || (value == u2 && index < j2))
        {
            u2 = value;
            j2 = index;
        }
    }

    /// <summary>The minimum of <c>row[j] - v[j]</c> over all columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double MinReduced<TCosts>(TCosts c, long row, double* v, int m, bool simd)
        where TCosts : struct, IWorkingCosts
    {
        var best = double.PositiveInfinity;
        var j = 0;
        if (simd && m >= 4)
        {
            var acc = Vector256.Create(double.PositiveInfinity);
            for (; j <= m - 4; j += 4)
            {
                acc = Vector256.Min(acc, c.Load4(row + j) - Vector256.Load(v + j));
            }

            for (var lane = 0; lane < 4; lane++)
            {
                best = Math.Min(best, acc.GetElement(lane));
            }
        }

        for (; j < m; j++)
        {
            best = Math.Min(best, c[row + j] - v[j]);
        }

        return best;
    }
}
