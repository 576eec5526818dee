using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SparseDictionary.Kernels;

namespace SparseDictionary.Metrics.Assignment;

/// <summary>Exact solver for the (rectangular) linear assignment problem on a dense cost matrix.</summary>
/// <remarks>
/// <para>
/// Problem: given a <c>rows x columns</c> cost matrix <c>C</c>, choose <c>k = min(rows, columns)</c> pairs
/// <c>(i, j)</c>, no two sharing a row or a column, that minimise (or, with <c>maximize</c>, maximise) the total
/// <c>sum C[i, j]</c>. When <c>rows &lt; columns</c> every row is assigned a distinct column; when
/// <c>rows &gt; columns</c> every column is assigned a distinct row and the remaining rows stay unassigned.
/// This is the optimal matching used, for example, to pair the features of two dictionaries by cosine similarity.
/// </para>
/// <para>
/// Algorithm: the shortest augmenting path method of Jonker and Volgenant (LAPJV, 1987), with dual potentials. The
/// matrix is (if needed) transposed so that the outer loop runs over the smaller dimension. Square problems start
/// with column reduction and reduction transfer; all problems then get two passes of augmenting row reduction,
/// and each row still free is assigned by a Dijkstra search for a shortest augmenting path in the reduced costs,
/// after which the column potentials are updated so that all reduced costs stay non-negative. The column scans
/// use 256-bit SIMD where available (see <see cref="KernelPaths"/>). Worst case <c>O(k^2 max(rows, columns))</c>
/// time. The input is read in place (negation for maximisation, widening of floats and the forbidden-entry penalty
/// are applied on the fly), so the extra memory is <c>O(rows + columns)</c>, except when <c>rows &gt; columns</c>,
/// where a transposed copy in the input's precision is made. All arithmetic is in double precision.
/// </para>
/// <para>
/// Forbidden pairs: an entry of <c>+infinity</c> (when minimising) or <c>-infinity</c> (when maximising) is never
/// assigned; if every complete assignment needs one, the problem is infeasible. The opposite infinity and NaN are
/// rejected.
/// </para>
/// </remarks>
public static class LinearAssignment
{
    /// <summary>Largest binary exponent allowed for intermediate magnitudes before the costs are scaled down.</summary>
    private const int MaxExponent = 1000;

    /// <summary>Solves the assignment problem for a row-major cost matrix of doubles.</summary>
    /// <param name="costs">The <c>rows x columns</c> cost matrix in row-major order: entry <c>(i, j)</c> is at <c>i * columns + j</c>.</param>
    /// <param name="rows">Number of rows (non-negative).</param>
    /// <param name="columns">Number of columns (non-negative).</param>
    /// <param name="maximize">Maximise the total instead of minimising it.</param>
    /// <returns>An optimal assignment of <c>min(rows, columns)</c> pairs; empty when <paramref name="rows"/> or <paramref name="columns"/> is 0.</returns>
    /// <remarks>
    /// Minimises (or maximises) the sum of the assigned entries over all one-to-one assignments of size
    /// <c>min(rows, columns)</c>, with the Jonker-Volgenant shortest augmenting path algorithm described on
    /// <see cref="LinearAssignment"/>. When minimising, <c>double.PositiveInfinity</c> marks a forbidden pair; when
    /// maximising, <c>double.NegativeInfinity</c> does. The matrix is not copied unless <c>rows &gt; columns</c>.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> or <paramref name="columns"/> is negative.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="costs"/> does not have <c>rows * columns</c> entries, contains NaN, or contains the infinity
    /// of the wrong sign (<c>-infinity</c> when minimising, <c>+infinity</c> when maximising).
    /// </exception>
    /// <exception cref="InvalidOperationException">Every complete assignment uses a forbidden entry (the problem is infeasible).</exception>
    public static AssignmentResult Solve(ReadOnlySpan<double> costs, int rows, int columns, bool maximize = false)
        => SolveCore(costs, rows, columns, maximize, duals: null);

    /// <summary>Solves the assignment problem for a row-major cost matrix of floats (computed in double precision).</summary>
    /// <param name="costs">The <c>rows x columns</c> cost matrix in row-major order: entry <c>(i, j)</c> is at <c>i * columns + j</c>.</param>
    /// <param name="rows">Number of rows (non-negative).</param>
    /// <param name="columns">Number of columns (non-negative).</param>
    /// <param name="maximize">Maximise the total instead of minimising it.</param>
    /// <returns>An optimal assignment of <c>min(rows, columns)</c> pairs; empty when <paramref name="rows"/> or <paramref name="columns"/> is 0.</returns>
    /// <remarks>
    /// Same problem and algorithm as <see cref="Solve(ReadOnlySpan{double}, int, int, bool)"/>; typical input is a
    /// matrix of cosine similarities between two sets of float32 directions, solved with <paramref name="maximize"/>.
    /// The entries are widened to double, so the result and <see cref="AssignmentResult.TotalCost"/> are exact
    /// with respect to the float values given.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> or <paramref name="columns"/> is negative.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="costs"/> does not have <c>rows * columns</c> entries, contains NaN, or contains the infinity
    /// of the wrong sign (<c>-infinity</c> when minimising, <c>+infinity</c> when maximising).
    /// </exception>
    /// <exception cref="InvalidOperationException">Every complete assignment uses a forbidden entry (the problem is infeasible).</exception>
    public static AssignmentResult Solve(ReadOnlySpan<float> costs, int rows, int columns, bool maximize = false)
        => SolveCore(costs, rows, columns, maximize, duals: null);

    /// <summary>Solves the assignment problem for a two-dimensional cost array.</summary>
    /// <param name="costs">The cost matrix; <c>costs[i, j]</c> is the cost of assigning row <c>i</c> to column <c>j</c>.</param>
    /// <param name="maximize">Maximise the total instead of minimising it.</param>
    /// <returns>An optimal assignment of <c>min(rows, columns)</c> pairs; empty when either dimension is 0.</returns>
    /// <remarks>
    /// Same problem and algorithm as <see cref="Solve(ReadOnlySpan{double}, int, int, bool)"/>, reading the array
    /// in place (a <c>double[,]</c> is stored row-major).
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="costs"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="costs"/> contains NaN or the infinity of the wrong sign.</exception>
    /// <exception cref="InvalidOperationException">Every complete assignment uses a forbidden entry (the problem is infeasible).</exception>
    public static AssignmentResult Solve(double[,] costs, bool maximize = false)
    {
        ArgumentNullException.ThrowIfNull(costs);
        var span = MemoryMarshal.CreateReadOnlySpan(
            ref Unsafe.As<byte, double>(ref MemoryMarshal.GetArrayDataReference(costs)), costs.Length);
        return Solve(span, costs.GetLength(0), costs.GetLength(1), maximize);
    }

    /// <summary>
    /// Solves like <see cref="Solve(ReadOnlySpan{double}, int, int, bool)"/> and also returns an optimal dual
    /// solution, for verification.
    /// </summary>
    /// <remarks>
    /// When minimising: <c>rowDuals[i] + columnDuals[j] &lt;= costs[i, j]</c> for every finite entry, with
    /// equality on assigned pairs, and the duals of unassigned rows or columns are <c>&lt;= 0</c> (they are 0).
    /// When maximising the inequalities are reversed (<c>&gt;=</c>, unassigned duals <c>&gt;= 0</c>). The duals sum
    /// to <see cref="AssignmentResult.TotalCost"/> up to rounding.
    /// </remarks>
    internal static AssignmentResult SolveWithDuals(
        ReadOnlySpan<double> costs, int rows, int columns, bool maximize, out double[] rowDuals, out double[] columnDuals)
    {
        var duals = new DualOutput();
        var result = SolveCore(costs, rows, columns, maximize, duals);
        rowDuals = duals.Rows ?? new double[Math.Max(rows, 0)];
        columnDuals = duals.Columns ?? new double[Math.Max(columns, 0)];
        return result;
    }

    private static unsafe AssignmentResult SolveCore<T>(ReadOnlySpan<T> costs, int rows, int columns, bool maximize, DualOutput? duals)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (rows < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "Expected a non-negative number of rows.");
        }

        if (columns < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(columns), columns, "Expected a non-negative number of columns.");
        }

        if ((long)rows * columns != costs.Length)
        {
            throw new ArgumentException(
                $"Expected costs.Length == rows * columns = {rows} * {columns} = {(long)rows * columns}, but it is {costs.Length}.",
                nameof(costs));
        }

        if (rows == 0 || columns == 0)
        {
            return AssignmentResult.Empty(rows, columns);
        }

        var summary = Scan(costs, columns, maximize);
        var transpose = rows > columns;
        var n = Math.Min(rows, columns);
        var m = Math.Max(rows, columns);

        // The solver minimises factor * costs. factor is -1 when maximising, times an exact power of two that keeps
        // potentials and path lengths (at most about (n + 2)^2 times the largest entry) far from overflow.
        var factor = maximize ? -1.0 : 1.0;
        if (summary.HasFinite)
        {
            var magnitude = Math.Max(Math.Abs(summary.Min), Math.Abs(summary.Max));
            var exponent = Math.ILogB(magnitude) + (2 * (Math.ILogB(n + 2.0) + 1)) + 4;
            if (exponent > MaxExponent)
            {
                factor = Math.ScaleB(factor, MaxExponent - exponent);
            }
        }

        var forbidden = 0.0;
        if (summary.HasForbidden)
        {
            if (!summary.HasFinite)
            {
                throw Infeasible();
            }

            // Replace forbidden entries by a finite penalty exceeding the largest finite entry by more than the cost
            // difference between any two complete assignments, so an assignment uses a penalty entry only when none
            // avoids them. The margin scales with the spread of the data, so the penalty does not swamp its precision.
            var low = Math.Min(factor * summary.Min, factor * summary.Max);
            var high = Math.Max(factor * summary.Min, factor * summary.Max);
            var spread = high > low ? high - low : Math.Max(Math.Abs(high), 1.0);
            forbidden = high + ((n + 2.0) * spread);
        }

        var simd = Vector256.IsHardwareAccelerated && KernelPaths.Current != KernelPath.Scalar;
        var transposed = transpose ? Transpose(costs, rows, columns) : null;
        var x = new int[n];
        var y = new int[m];
        var v = new double[m];
        double[]? u;
        fixed (T* input = costs)
        fixed (T* copy = transposed)
        {
            var data = transpose ? copy : input;
            u = typeof(T) == typeof(double)
                ? Run(new DoubleWorkingCosts((double*)data, factor, forbidden, summary.HasForbidden), n, m, x, y, v, simd, duals is not null)
                : Run(new SingleWorkingCosts((float*)data, factor, forbidden, summary.HasForbidden), n, m, x, y, v, simd, duals is not null);
        }

        if (duals is not null && u is not null)
        {
            for (var i = 0; i < n; i++)
            {
                u[i] /= factor;
            }

            for (var j = 0; j < m; j++)
            {
                v[j] /= factor;
            }

            duals.Rows = transpose ? v : u;
            duals.Columns = transpose ? u : v;
        }

        var rowToColumn = new int[rows];
        var columnToRow = new int[columns];
        Array.Fill(rowToColumn, -1);
        Array.Fill(columnToRow, -1);
        for (var i = 0; i < n; i++)
        {
            var (row, column) = transpose ? (x[i], i) : (i, x[i]);
            rowToColumn[row] = column;
            columnToRow[column] = row;
        }

        var total = 0.0;
        for (var row = 0; row < rows; row++)
        {
            var column = rowToColumn[row];
            if (column >= 0)
            {
                var value = double.CreateTruncating(costs[(row * columns) + column]);
                if (!double.IsFinite(value))
                {
                    throw Infeasible();
                }

                total += value;
            }
        }

        return new AssignmentResult(rowToColumn, columnToRow, total, rows, columns);
    }

    private static InvalidOperationException Infeasible() => new(
        "The assignment problem is infeasible: every complete assignment uses a forbidden (infinite-cost) entry.");

    /// <summary>Checks every entry (NaN, infinities) and finds the range of the finite ones.</summary>
    private static CostSummary Scan<T>(ReadOnlySpan<T> costs, int columns, bool maximize)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var low = T.PositiveInfinity;
        var high = T.NegativeInfinity;
        var hasForbidden = false;
        var badIndex = -1;
        var i = 0;
        if (Vector256.IsHardwareAccelerated && costs.Length >= Vector256<T>.Count)
        {
            ref var start = ref MemoryMarshal.GetReference(costs);
            var lowV = Vector256.Create(T.PositiveInfinity);
            var highV = Vector256.Create(T.NegativeInfinity);
            for (; i <= costs.Length - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var block = Vector256.LoadUnsafe(ref start, (nuint)i);
                if (Vector256.EqualsAll(block - block, Vector256<T>.Zero))
                {
                    lowV = Vector256.Min(lowV, block);
                    highV = Vector256.Max(highV, block);
                }
                else
                {
                    for (var k = i; k < i + Vector256<T>.Count; k++)
                    {
                        ScanOne(costs[k], k, columns, maximize, ref low, ref high, ref hasForbidden, ref badIndex);
                    }
                }
            }

            for (var lane = 0; lane < Vector256<T>.Count; lane++)
            {
                low = T.Min(low, lowV.GetElement(lane));
                high = T.Max(high, highV.GetElement(lane));
            }
        }

        for (; i < costs.Length; i++)
        {
            ScanOne(costs[i], i, columns, maximize, ref low, ref high, ref hasForbidden, ref badIndex);
        }

        if (badIndex >= 0)
        {
            throw new ArgumentException(
                $"costs[{badIndex / columns}, {badIndex % columns}] is {costs[badIndex]}; expected a finite cost or "
                + (maximize ? "-infinity (forbidden) when maximizing." : "+infinity (forbidden) when minimizing."),
                nameof(costs));
        }

        return new CostSummary(
            double.CreateTruncating(low), double.CreateTruncating(high), T.IsFinite(low), hasForbidden);
    }

    private static void ScanOne<T>(T value, int index, int columns, bool maximize, ref T low, ref T high, ref bool hasForbidden, ref int badIndex)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (T.IsNaN(value))
        {
            throw new ArgumentException(
                $"costs contains NaN at row {index / columns}, column {index % columns}.", "costs");
        }

        if (T.IsInfinity(value))
        {
            if (T.IsPositiveInfinity(value) != maximize)
            {
                hasForbidden = true;
            }
            else if (badIndex < 0)
            {
                badIndex = index;
            }

            return;
        }

        low = T.Min(low, value);
        high = T.Max(high, value);
    }

    /// <summary>Runs the solver on a working-cost view; returns the row duals of the working problem if asked.</summary>
    private static double[]? Run<TCosts>(TCosts costs, int n, int m, int[] x, int[] y, double[] v, bool simd, bool wantDuals)
        where TCosts : struct, IWorkingCosts
    {
        ShortestAugmentingPathSolver.Solve(costs, n, m, x, y, v, simd);
        if (!wantDuals)
        {
            return null;
        }

        var u = new double[n];
        for (var i = 0; i < n; i++)
        {
            u[i] = costs[((long)i * m) + x[i]] - v[x[i]];
        }

        return u;
    }

    /// <summary>The <c>columns x rows</c> transpose of a row-major <c>rows x columns</c> matrix, built in cache blocks.</summary>
    private static T[] Transpose<T>(ReadOnlySpan<T> costs, int rows, int columns)
        where T : unmanaged
    {
        const int Block = 32;
        var transposed = GC.AllocateUninitializedArray<T>(costs.Length);
        for (var i0 = 0; i0 < rows; i0 += Block)
        {
            var i1 = Math.Min(i0 + Block, rows);
            for (var j0 = 0; j0 < columns; j0 += Block)
            {
                var j1 = Math.Min(j0 + Block, columns);
                for (var i = i0; i < i1; i++)
                {
                    var sourceRow = costs.Slice(i * columns, columns);
                    for (var j = j0; j < j1; j++)
                    {
                        transposed[(j * rows) + i] = sourceRow[j];
                    }
                }
            }
        }

        return transposed;
    }

    private readonly record struct CostSummary(double Min, double Max, bool HasFinite, bool HasForbidden);

    private sealed class DualOutput
    {
        public double[]? Rows { get; set; }

        public double[]? Columns { get; set; }
    }
}
