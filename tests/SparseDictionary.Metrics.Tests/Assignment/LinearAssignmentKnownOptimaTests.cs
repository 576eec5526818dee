using SparseDictionary.Kernels;
using SparseDictionary.Metrics.Assignment;
using static SparseDictionary.Metrics.Tests.Assignment.AssignmentReference;

namespace SparseDictionary.Metrics.Tests.Assignment;

/// <summary>Hand-checkable problems with known optima: textbook cases, hidden permutations, ties, rectangles, extreme magnitudes.</summary>
public class LinearAssignmentKnownOptimaTests
{
    [Fact]
    public void Solves_a_textbook_3x3_example()
    {
        double[,] costs =
        {
            { 4, 1, 3 },
            { 2, 0, 5 },
            { 3, 2, 2 },
        };

        var result = LinearAssignment.Solve(costs);

        result.RowToColumn.Should().Equal(1, 0, 2);
        result.ColumnToRow.Should().Equal(1, 0, 2);
        result.TotalCost.Should().Be(5);
        result.Count.Should().Be(3);
        result.Pairs.Should().Equal((0, 1), (1, 0), (2, 2));
    }

    [Fact]
    public void Solves_a_textbook_4x4_example_where_greedy_fails()
    {
        // Rows 1 and 2 both have their minimum in column 2; the optimum 2 + 6 + 1 + 4 needs an augmenting path.
        double[,] costs =
        {
            { 9, 2, 7, 8 },
            { 6, 4, 3, 7 },
            { 5, 8, 1, 8 },
            { 7, 6, 9, 4 },
        };

        var result = LinearAssignment.Solve(costs);

        result.RowToColumn.Should().Equal(1, 0, 2, 3);
        result.TotalCost.Should().Be(13);
    }

    [Fact]
    public void Maximize_finds_the_largest_total()
    {
        double[,] costs =
        {
            { 4, 1, 3 },
            { 2, 0, 5 },
            { 3, 2, 2 },
        };

        var result = LinearAssignment.Solve(costs, maximize: true);

        result.TotalCost.Should().Be(11);
        result.RowToColumn.Should().Equal(0, 2, 1);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(9)]
    [InlineData(50)]
    public void Recovers_a_hidden_permutation(int n)
    {
        var permutation = Enumerable.Range(0, n).ToArray();
        new Random(n).Shuffle(permutation);
        var costs = new double[n * n];
        Array.Fill(costs, 1.0);
        for (var i = 0; i < n; i++)
        {
            costs[(i * n) + permutation[i]] = 0.0;
        }

        var minimum = LinearAssignment.Solve(costs, n, n);
        minimum.RowToColumn.Should().Equal(permutation);
        minimum.TotalCost.Should().Be(0);

        var similarity = costs.Select(c => 1.0 - c).ToArray();
        var maximum = LinearAssignment.Solve(similarity, n, n, maximize: true);
        maximum.RowToColumn.Should().Equal(permutation);
        maximum.TotalCost.Should().Be(n);
    }

    [Fact]
    public void Identity_cost_keeps_the_diagonal_when_maximizing()
    {
        const int n = 12;
        var identity = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            identity[(i * n) + i] = 1.0;
        }

        var result = LinearAssignment.Solve(identity, n, n, maximize: true);

        result.RowToColumn.Should().Equal(Enumerable.Range(0, n));
        result.TotalCost.Should().Be(n);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(6, 6)]
    [InlineData(4, 9)]
    [InlineData(9, 4)]
    [InlineData(40, 40)]
    public void All_equal_costs_give_any_valid_assignment(int rows, int columns)
    {
        var costs = Enumerable.Repeat(2.5, rows * columns).ToArray();

        var result = LinearAssignment.Solve(costs, rows, columns);

        AssertValid(result, costs, rows, columns, maximize: false);
        result.TotalCost.Should().Be(2.5 * Math.Min(rows, columns));
    }

    [Fact]
    public void Constant_rows_and_columns_are_handled()
    {
        // Row 1 is constant and column 2 is constant: optimum takes the small entries of the other rows.
        double[,] costs =
        {
            { 1, 9, 5, 9 },
            { 4, 4, 5, 4 },
            { 9, 9, 5, 2 },
            { 9, 3, 5, 9 },
        };

        var result = LinearAssignment.Solve(costs);

        result.TotalCost.Should().Be(1 + 5 + 2 + 3);
        result.RowToColumn.Should().Equal(0, 2, 3, 1);
    }

    [Fact]
    public void Wide_matrix_assigns_every_row()
    {
        double[,] costs =
        {
            { 5, 1, 3, 8 },
            { 2, 1, 9, 8 },
        };

        var result = LinearAssignment.Solve(costs);

        result.RowToColumn.Should().Equal(1, 0);
        result.ColumnToRow.Should().Equal(1, 0, -1, -1);
        result.TotalCost.Should().Be(3);
        result.Count.Should().Be(2);
        result.Pairs.Should().Equal((0, 1), (1, 0));
    }

    [Fact]
    public void Tall_matrix_assigns_every_column()
    {
        double[,] costs =
        {
            { 5, 2 },
            { 1, 1 },
            { 3, 9 },
            { 8, 8 },
        };

        var result = LinearAssignment.Solve(costs);

        result.RowToColumn.Should().Equal(1, 0, -1, -1);
        result.ColumnToRow.Should().Equal(1, 0);
        result.TotalCost.Should().Be(3);
        result.Count.Should().Be(2);
        result.Pairs.Should().Equal((0, 1), (1, 0));
    }

    [Fact]
    public void Rectangular_problem_where_the_cheapest_columns_collide()
    {
        // Both rows prefer column 0; the optimum gives it to row 0 and row 1 its second choice.
        var wideCosts = new double[] { 1, 5, 9, 0, 9, 2 };
        var wide = LinearAssignment.Solve(wideCosts, 2, 3);
        wide.TotalCost.Should().Be(3);
        wide.RowToColumn.Should().Equal(0, 2);
        wide.ColumnToRow.Should().Equal(0, -1, 1);

        var tall = LinearAssignment.Solve(Transpose(wideCosts, 2, 3), 3, 2);
        tall.TotalCost.Should().Be(3);
        tall.ColumnToRow.Should().Equal(0, 2);
        tall.RowToColumn.Should().Equal(0, -1, 1);

        var tallMaximize = LinearAssignment.Solve(Transpose(wideCosts, 2, 3), 3, 2, maximize: true);
        tallMaximize.TotalCost.Should().Be(18);
        tallMaximize.ColumnToRow.Should().Equal(2, 1);
    }

    [Theory]
    [InlineData(1e305)]
    [InlineData(1e-305)]
    [InlineData(1e-100)]
    [InlineData(-1e-100)]
    [InlineData(1e150)]
    public void Extreme_magnitudes_are_solved_exactly(double scale)
    {
        for (var seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            const int Rows = 5;
            const int Columns = 6;
            var costs = new double[Rows * Columns];
            for (var k = 0; k < costs.Length; k++)
            {
                costs[k] = random.NextDouble() < 0.3 ? double.PositiveInfinity : (1.0 + random.NextDouble()) * scale;
            }

            if (BruteForce(costs, Rows, Columns, maximize: false) is null)
            {
                continue;
            }

            foreach (var maximize in new[] { false, true })
            {
                var input = maximize ? costs.Select(c => double.IsFinite(c) ? c : double.NegativeInfinity).ToArray() : costs;
                var optimum = BruteForce(input, Rows, Columns, maximize)!.Value;

                var result = LinearAssignment.Solve(input, Rows, Columns, maximize);

                AssertValid(result, input, Rows, Columns, maximize);
                result.TotalCost.Should().BeApproximately(optimum, 1e-9 * Math.Abs(optimum));
            }
        }
    }
}
