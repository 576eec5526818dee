using System.Collections.ObjectModel;

namespace SparseDictionary.Metrics.Assignment;

/// <summary>An optimal one-to-one assignment between the rows and the columns of a cost matrix.</summary>
/// <remarks>
/// The result of the linear assignment problem (minimum- or maximum-total one-to-one matching of rows to columns)
/// solved by <see cref="LinearAssignment.Solve(ReadOnlySpan{double}, int, int, bool)"/> and its overloads with the
/// Jonker-Volgenant shortest augmenting path algorithm. For a <c>rows x columns</c> problem, exactly
/// <c>min(rows, columns)</c> pairs are assigned: every row when <c>rows &lt;= columns</c>, every column otherwise.
/// The pairs are listed in increasing row order.
/// </remarks>
public sealed class AssignmentResult
{
    private static readonly AssignmentResult s_empty = new([], [], 0.0, 0, 0);

    private readonly int[] _rowToColumn;
    private readonly int[] _columnToRow;

    internal AssignmentResult(int[] rowToColumn, int[] columnToRow, double totalCost, int rows, int columns)
    {
        _rowToColumn = rowToColumn;
        _columnToRow = columnToRow;
        TotalCost = totalCost;
        Rows = rows;
        Columns = columns;
        RowToColumn = new ReadOnlyCollection<int>(rowToColumn);
        ColumnToRow = new ReadOnlyCollection<int>(columnToRow);

        var pairs = new (int Row, int Column)[Math.Min(rows, columns)];
        var count = 0;
        for (var row = 0; row < rowToColumn.Length; row++)
        {
            if (rowToColumn[row] >= 0)
            {
                pairs[count++] = (row, rowToColumn[row]);
            }
        }

        Count = count;
        Pairs = new ReadOnlyCollection<(int Row, int Column)>(count == pairs.Length ? pairs : pairs[..count]);
    }

    /// <summary>Number of rows of the solved cost matrix.</summary>
    /// <remarks>The length of <see cref="RowToColumn"/>.</remarks>
    public int Rows { get; }

    /// <summary>Number of columns of the solved cost matrix.</summary>
    /// <remarks>The length of <see cref="ColumnToRow"/>.</remarks>
    public int Columns { get; }

    /// <summary>For each row, the column assigned to it, or <c>-1</c> if the row is unassigned.</summary>
    /// <remarks>Rows are unassigned only when the matrix has more rows than columns.</remarks>
    public IReadOnlyList<int> RowToColumn { get; }

    /// <summary>For each column, the row assigned to it, or <c>-1</c> if the column is unassigned.</summary>
    /// <remarks>Columns are unassigned only when the matrix has more columns than rows.</remarks>
    public IReadOnlyList<int> ColumnToRow { get; }

    /// <summary>Sum of the original cost entries of the assigned pairs (0 for an empty problem).</summary>
    /// <remarks>This is the minimum total cost, or the maximum when the problem was solved with <c>maximize</c>.</remarks>
    public double TotalCost { get; }

    /// <summary>Number of assigned pairs: <c>min(rows, columns)</c>.</summary>
    /// <remarks>Every row or every column (whichever side is smaller) is assigned, so this is never less.</remarks>
    public int Count { get; }

    /// <summary>The assigned <c>(Row, Column)</c> pairs in increasing row order.</summary>
    /// <remarks>Holds <see cref="Count"/> pairs; <c>RowToColumn[p.Row] == p.Column</c> for each pair <c>p</c>.</remarks>
    public IReadOnlyList<(int Row, int Column)> Pairs { get; }

    internal static AssignmentResult Empty(int rows, int columns)
    {
        if (rows == 0 && columns == 0)
        {
            return s_empty;
        }

        var rowToColumn = new int[rows];
        var columnToRow = new int[columns];
        Array.Fill(rowToColumn, -1);
        Array.Fill(columnToRow, -1);
        return new AssignmentResult(rowToColumn, columnToRow, 0.0, rows, columns);
    }

    /// <summary>Returns the column assigned to <paramref name="row"/>, or <c>-1</c> if it is unassigned.</summary>
    /// <param name="row">A row index in <c>[0, Rows)</c>.</param>
    /// <returns>The assigned column index, or <c>-1</c>.</returns>
    /// <remarks>Same as <c>RowToColumn[row]</c>, with a descriptive exception for an invalid index.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is outside <c>[0, Rows)</c>.</exception>
    public int ColumnOf(int row)
    {
        if ((uint)row >= (uint)_rowToColumn.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"Expected a row index in [0, {_rowToColumn.Length}).");
        }

        return _rowToColumn[row];
    }

    /// <summary>Returns the row assigned to <paramref name="column"/>, or <c>-1</c> if it is unassigned.</summary>
    /// <param name="column">A column index in <c>[0, Columns)</c>.</param>
    /// <returns>The assigned row index, or <c>-1</c>.</returns>
    /// <remarks>Same as <c>ColumnToRow[column]</c>, with a descriptive exception for an invalid index.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="column"/> is outside <c>[0, Columns)</c>.</exception>
    public int RowOf(int column)
    {
        if ((uint)column >= (uint)_columnToRow.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(column), column, $"Expected a column index in [0, {_columnToRow.Length}).");
        }

        return _columnToRow[column];
    }
}
