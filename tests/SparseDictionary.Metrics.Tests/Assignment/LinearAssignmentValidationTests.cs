using SparseDictionary.Kernels;
using SparseDictionary.Metrics.Assignment;
using static SparseDictionary.Metrics.Tests.Assignment.AssignmentReference;

namespace SparseDictionary.Metrics.Tests.Assignment;

/// <summary>Forbidden entries, infeasible problems and bad input.</summary>
public class LinearAssignmentValidationTests
{
    [Fact]
    public void Forbidden_entries_are_avoided()
    {
        var inf = double.PositiveInfinity;
        double[,] costs =
        {
            { 0, inf, 5 },
            { 0, inf, inf },
            { inf, 1, 0 },
        };

        var result = LinearAssignment.Solve(costs);

        result.RowToColumn.Should().Equal(2, 0, 1);
        result.TotalCost.Should().Be(6);
    }

    [Fact]
    public void Forbidden_entries_are_avoided_when_maximizing()
    {
        var ninf = double.NegativeInfinity;
        double[,] costs =
        {
            { 9, 1 },
            { ninf, 8 },
            { ninf, 7 },
        };

        var result = LinearAssignment.Solve(costs, maximize: true);

        result.RowToColumn.Should().Equal(0, 1, -1);
        result.TotalCost.Should().Be(17);
    }

    [Fact]
    public void Forbidden_entries_in_a_float_matrix_are_avoided()
    {
        var inf = float.PositiveInfinity;
        float[] costs = [1, 2, inf, 0];

        var result = LinearAssignment.Solve(costs, 2, 2);

        result.RowToColumn.Should().Equal(0, 1);
        result.TotalCost.Should().Be(1);
    }

    [Fact]
    public void Infeasible_problems_throw()
    {
        var inf = double.PositiveInfinity;

        var rowAllForbidden = () => LinearAssignment.Solve(new[] { 1.0, 2.0, inf, inf }, 2, 2);
        rowAllForbidden.Should().Throw<InvalidOperationException>().WithMessage("*infeasible*");

        // Hall's condition fails: rows 0 and 1 may only use column 0.
        var hall = () => LinearAssignment.Solve(new[] { 1.0, inf, inf, 2.0, inf, inf, 3.0, 4.0, 5.0 }, 3, 3);
        hall.Should().Throw<InvalidOperationException>().WithMessage("*infeasible*");

        var allForbidden = () => LinearAssignment.Solve(new[] { inf, inf }, 1, 2);
        allForbidden.Should().Throw<InvalidOperationException>().WithMessage("*infeasible*");

        var maximizeAllForbidden = () => LinearAssignment.Solve(new[] { double.NegativeInfinity }, 1, 1, maximize: true);
        maximizeAllForbidden.Should().Throw<InvalidOperationException>().WithMessage("*infeasible*");
    }

    [Fact]
    public void NaN_is_rejected_with_its_position()
    {
        var costs = new double[] { 1, 2, 3, 4, 5, double.NaN, 7, double.NaN, 9 };

        var act = () => LinearAssignment.Solve(costs, 3, 3);

        act.Should().Throw<ArgumentException>().WithMessage("*NaN*row 1, column 2*").And.ParamName.Should().Be("costs");
    }

    [Fact]
    public void NaN_is_rejected_in_float_and_large_inputs()
    {
        var costs = new float[40 * 40];
        costs[(17 * 40) + 33] = float.NaN;
        var act = () => LinearAssignment.Solve(costs, 40, 40, maximize: true);
        act.Should().Throw<ArgumentException>().WithMessage("*NaN*row 17, column 33*");

        var doubles = new double[40 * 40];
        doubles[(3 * 40) + 5] = double.PositiveInfinity;
        doubles[(39 * 40) + 39] = double.NaN;
        var withForbidden = () => LinearAssignment.Solve(doubles, 40, 40);
        withForbidden.Should().Throw<ArgumentException>().WithMessage("*NaN*row 39, column 39*");
    }

    [Fact]
    public void Infinity_of_the_wrong_sign_is_rejected()
    {
        var minimizeNegative = () => LinearAssignment.Solve(new[] { 1.0, double.NegativeInfinity, 3.0, 4.0 }, 2, 2);
        minimizeNegative.Should().Throw<ArgumentException>().WithMessage("*[0, 1]*").And.ParamName.Should().Be("costs");

        var maximizePositive = () => LinearAssignment.Solve(new[] { 1.0, 2.0, double.PositiveInfinity, 4.0 }, 2, 2, maximize: true);
        maximizePositive.Should().Throw<ArgumentException>().WithMessage("*[1, 0]*");
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 5)]
    [InlineData(3, 0)]
    public void Empty_problems_give_an_empty_result(int rows, int columns)
    {
        var result = LinearAssignment.Solve(ReadOnlySpan<double>.Empty, rows, columns);

        result.Count.Should().Be(0);
        result.TotalCost.Should().Be(0);
        result.Pairs.Should().BeEmpty();
        result.RowToColumn.Should().HaveCount(rows).And.NotContain(c => c != -1);
        result.ColumnToRow.Should().HaveCount(columns).And.NotContain(r => r != -1);

        LinearAssignment.Solve(new double[rows, columns]).Count.Should().Be(0);
        LinearAssignment.Solve(ReadOnlySpan<float>.Empty, rows, columns, maximize: true).TotalCost.Should().Be(0);
    }

    [Fact]
    public void Bad_dimensions_are_rejected()
    {
        var negativeRows = () => LinearAssignment.Solve(ReadOnlySpan<double>.Empty, -1, 3);
        negativeRows.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("rows");

        var negativeColumns = () => LinearAssignment.Solve(ReadOnlySpan<float>.Empty, 2, -4);
        negativeColumns.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("columns");

        var wrongLength = () => LinearAssignment.Solve(new double[5], 2, 3);
        wrongLength.Should().Throw<ArgumentException>().WithMessage("*2 * 3 = 6*5*").And.ParamName.Should().Be("costs");

        var nullArray = () => LinearAssignment.Solve((double[,])null!);
        nullArray.Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Result_lookups_validate_their_index()
    {
        var result = LinearAssignment.Solve(new double[] { 3, 1, 2, 5, 4, 0 }, 2, 3);

        result.ColumnOf(0).Should().Be(1);
        result.RowOf(2).Should().Be(1);
        result.RowOf(0).Should().Be(-1);
        var act = () => result.ColumnOf(2);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
