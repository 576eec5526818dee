using SparseDictionary.Kernels;
using SparseDictionary.Metrics.Assignment;

namespace SparseDictionary.Metrics.Tests.Assignment;

public class LinearAssignmentTests
{
    public enum CostKind
    {
        Uniform,
        IntegerTies,
        Negative,
        Forbidden,
    }

    // ---------------------------------------------------------------- brute force on all small shapes

    public static TheoryData<CostKind, bool> Kinds()
    {
        var data = new TheoryData<CostKind, bool>();
        foreach (var kind in Enum.GetValues<CostKind>())
        {
            data.Add(kind, false);
            data.Add(kind, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Matches_brute_force_on_all_shapes_up_to_7x7(CostKind kind, bool maximize)
    {
        var checkedFeasible = 0;
        for (var rows = 1; rows <= 7; rows++)
        {
            for (var columns = 1; columns <= 7; columns++)
            {
                for (var seed = 0; seed < 4; seed++)
                {
                    var random = new Random((1000 * rows) + (100 * columns) + (10 * seed) + (int)kind);
                    var costs = RandomCosts(random, rows, columns, kind, maximize);
                    var optimum = BruteForce(costs, rows, columns, maximize);
                    if (optimum is null)
                    {
                        var act = () => LinearAssignment.Solve(costs, rows, columns, maximize);
                        act.Should().Throw<InvalidOperationException>().WithMessage("*infeasible*");
                        continue;
                    }

                    var result = LinearAssignment.Solve(costs, rows, columns, maximize);
                    AssertValid(result, costs, rows, columns, maximize);
                    result.TotalCost.Should().BeApproximately(
                        optimum.Value, 1e-9 * Math.Max(1.0, Math.Abs(optimum.Value)), $"shape {rows}x{columns}, seed {seed}");
                    checkedFeasible++;
                }
            }
        }

        checkedFeasible.Should().BeGreaterThan(100);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Float_overload_matches_brute_force_on_the_widened_values_with_forbidden_entries(bool maximize)
    {
        for (var rows = 1; rows <= 6; rows++)
        {
            for (var columns = 1; columns <= 6; columns++)
            {
                var random = new Random((rows * 31) + columns);
                var costs = new float[rows * columns];
                for (var k = 0; k < costs.Length; k++)
                {
                    costs[k] = random.NextDouble() < 0.15
                        ? (maximize ? float.NegativeInfinity : float.PositiveInfinity)
                        : (float)((random.NextDouble() * 2.0) - 1.0);
                }

                var widened = costs.Select(c => (double)c).ToArray();
                var best = BruteForce(widened, rows, columns, maximize);
                if (best is not { } optimum)
                {
                    var act = () => LinearAssignment.Solve(costs, rows, columns, maximize);
                    act.Should().Throw<InvalidOperationException>();
                    continue;
                }

                var result = LinearAssignment.Solve(costs, rows, columns, maximize);

                AssertValid(result, widened, rows, columns, maximize);
                result.TotalCost.Should().BeApproximately(optimum, 1e-9 * Math.Max(1.0, Math.Abs(optimum)));
            }
        }
    }

    [Fact]
    public void Scalar_and_vector_paths_give_the_same_assignment()
    {
        var random = new Random(7);
        foreach (var (rows, columns) in new[] { (37, 37), (23, 61), (61, 23), (64, 64), (5, 9) })
        {
            foreach (var kind in new[] { CostKind.Uniform, CostKind.IntegerTies, CostKind.Forbidden })
            {
                var costs = RandomCosts(random, rows, columns, kind, maximize: false, forbiddenShare: 0.1);
                var vector = LinearAssignment.Solve(costs, rows, columns);
                AssignmentResult scalar;
                using (KernelPaths.Force(KernelPath.Scalar))
                {
                    scalar = LinearAssignment.Solve(costs, rows, columns);
                }

                scalar.RowToColumn.Should().Equal(vector.RowToColumn);
                scalar.TotalCost.Should().Be(vector.TotalCost);
            }
        }
    }

    // ---------------------------------------------------------------- known optima

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

    // ---------------------------------------------------------------- forbidden entries and errors

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

    // ---------------------------------------------------------------- larger problems: duality and an independent solver

    [Theory]
    [InlineData(300, 300, false)]
    [InlineData(300, 300, true)]
    [InlineData(200, 300, false)]
    [InlineData(300, 200, true)]
    public void Large_random_problems_satisfy_complementary_slackness(int rows, int columns, bool maximize)
    {
        var random = new Random(rows + columns + (maximize ? 1 : 0));
        var costs = new double[rows * columns];
        for (var k = 0; k < costs.Length; k++)
        {
            costs[k] = (random.NextDouble() * 100.0) - 30.0;
        }

        var result = LinearAssignment.SolveWithDuals(costs, rows, columns, maximize, out var u, out var v);

        AssertValid(result, costs, rows, columns, maximize);
        var sense = maximize ? -1.0 : 1.0;
        const double Tolerance = 1e-9;
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                // Dual feasibility: reduced costs are non-negative (for the minimisation form).
                var reduced = sense * (costs[(i * columns) + j] - u[i] - v[j]);
                reduced.Should().BeGreaterThanOrEqualTo(-Tolerance);
                if (result.RowToColumn[i] == j)
                {
                    reduced.Should().BeApproximately(0.0, Tolerance);
                }
            }
        }

        // Duals of the unassigned side are 0 (<= 0 is the LP constraint), so the dual objective equals the primal.
        for (var i = 0; i < rows; i++)
        {
            if (result.RowToColumn[i] < 0)
            {
                u[i].Should().Be(0);
            }
        }

        for (var j = 0; j < columns; j++)
        {
            if (result.ColumnToRow[j] < 0)
            {
                v[j].Should().Be(0);
            }
        }

        (u.Sum() + v.Sum()).Should().BeApproximately(result.TotalCost, 1e-9 * Math.Abs(result.TotalCost));
        result.TotalCost.Should().BeApproximately(
            ReferenceHungarian(costs, rows, columns, maximize), 1e-9 * Math.Abs(result.TotalCost));
    }

    [Theory]
    [InlineData(CostKind.IntegerTies, 250, 250)]
    [InlineData(CostKind.IntegerTies, 120, 260)]
    [InlineData(CostKind.Negative, 260, 120)]
    [InlineData(CostKind.Forbidden, 200, 200)]
    public void Matches_an_independent_hungarian_on_larger_problems(CostKind kind, int rows, int columns)
    {
        var random = new Random(rows * columns);
        var costs = RandomCosts(random, rows, columns, kind, maximize: false, forbiddenShare: 0.5);

        var result = LinearAssignment.Solve(costs, rows, columns);

        AssertValid(result, costs, rows, columns, maximize: false);
        var reference = ReferenceHungarian(costs, rows, columns, maximize: false);
        result.TotalCost.Should().BeApproximately(reference, 1e-9 * Math.Max(1.0, Math.Abs(reference)));
    }

    [Fact]
    public void Matches_the_reference_on_a_structured_cosine_problem()
    {
        // Two sets of unit directions, the second a noisy permutation of the first: the typical matching use.
        const int n = 150;
        const int d = 16;
        var random = new Random(11);
        var a = RandomUnitRows(random, n, d);
        var permutation = Enumerable.Range(0, n).ToArray();
        random.Shuffle(permutation);
        var b = new double[n * d];
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < d; k++)
            {
                b[(i * d) + k] = (0.7 * a[(permutation[i] * d) + k]) + (0.3 * Gaussian(random) / Math.Sqrt(d));
            }
        }

        Normalize(b, n, d);
        var similarity = new float[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var dot = 0.0;
                for (var k = 0; k < d; k++)
                {
                    dot += a[(i * d) + k] * b[(j * d) + k];
                }

                similarity[(i * n) + j] = (float)dot;
            }
        }

        var result = LinearAssignment.Solve(similarity, n, n, maximize: true);

        var widened = similarity.Select(s => (double)s).ToArray();
        result.TotalCost.Should().BeApproximately(ReferenceHungarian(widened, n, n, maximize: true), 1e-9 * n);
        var recovered = Enumerable.Range(0, n).Count(j => result.ColumnToRow[j] == permutation[j]);
        recovered.Should().BeGreaterThan(n * 9 / 10);
    }

    // ---------------------------------------------------------------- helpers

    private static double[] RandomCosts(Random random, int rows, int columns, CostKind kind, bool maximize, double forbiddenShare = 0.3)
    {
        var costs = new double[rows * columns];
        for (var k = 0; k < costs.Length; k++)
        {
            costs[k] = kind switch
            {
                CostKind.Uniform => random.NextDouble(),
                CostKind.IntegerTies => random.Next(4),
                CostKind.Negative => (random.NextDouble() * 20.0) - 15.0,
                _ => random.NextDouble() < forbiddenShare
                    ? (maximize ? double.NegativeInfinity : double.PositiveInfinity)
                    : random.Next(-5, 6),
            };
        }

        return costs;
    }

    /// <summary>Optimum over all injective maps from the smaller side to the larger, or null if none avoids forbidden entries.</summary>
    private static double? BruteForce(double[] costs, int rows, int columns, bool maximize)
    {
        var transpose = rows > columns;
        var small = Math.Min(rows, columns);
        var large = Math.Max(rows, columns);
        double Cost(int s, int l) => transpose ? costs[(l * columns) + s] : costs[(s * columns) + l];

        double? best = null;
        var used = new bool[large];
        void Recurse(int s, double total)
        {
            if (s == small)
            {
                if (best is null || (maximize ? total > best : total < best))
                {
                    best = total;
                }

                return;
            }

            for (var l = 0; l < large; l++)
            {
                if (!used[l] && double.IsFinite(Cost(s, l)))
                {
                    used[l] = true;
                    Recurse(s + 1, total + Cost(s, l));
                    used[l] = false;
                }
            }
        }

        Recurse(0, 0.0);
        return best;
    }

    private static void AssertValid(AssignmentResult result, double[] costs, int rows, int columns, bool maximize)
    {
        result.Rows.Should().Be(rows);
        result.Columns.Should().Be(columns);
        result.RowToColumn.Should().HaveCount(rows);
        result.ColumnToRow.Should().HaveCount(columns);
        result.Count.Should().Be(Math.Min(rows, columns));
        result.RowToColumn.Count(c => c >= 0).Should().Be(result.Count);
        result.ColumnToRow.Count(r => r >= 0).Should().Be(result.Count);

        var total = 0.0;
        for (var i = 0; i < rows; i++)
        {
            var j = result.RowToColumn[i];
            if (j >= 0)
            {
                result.ColumnToRow[j].Should().Be(i);
                var cost = costs[(i * columns) + j];
                double.IsFinite(cost).Should().BeTrue($"the forbidden pair ({i}, {j}) must not be assigned (maximize {maximize})");
                total += cost;
            }
        }

        for (var j = 0; j < columns; j++)
        {
            var i = result.ColumnToRow[j];
            if (i >= 0)
            {
                result.RowToColumn[i].Should().Be(j);
            }
        }

        result.TotalCost.Should().Be(total);
        result.Pairs.Select(p => p.Row).Should().BeInAscendingOrder();
        result.Pairs.Should().HaveCount(result.Count).And.OnlyContain(p => result.RowToColumn[p.Row] == p.Column);
    }

    /// <summary>
    /// An independent textbook O(n^2 m) Hungarian method (potentials and a per-row Dijkstra over columns, 1-based),
    /// for <c>n &lt;= m</c> after transposition. Forbidden entries become a large finite penalty.
    /// </summary>
    private static double ReferenceHungarian(double[] costs, int rows, int columns, bool maximize)
    {
        var transpose = rows > columns;
        var n = Math.Min(rows, columns);
        var m = Math.Max(rows, columns);
        var a = new double[n + 1, m + 1];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                var value = costs[(i * columns) + j] * (maximize ? -1.0 : 1.0);
                value = double.IsFinite(value) ? value : 1e9;
                if (transpose)
                {
                    a[j + 1, i + 1] = value;
                }
                else
                {
                    a[i + 1, j + 1] = value;
                }
            }
        }

        var u = new double[n + 1];
        var v = new double[m + 1];
        var p = new int[m + 1];
        var way = new int[m + 1];
        for (var i = 1; i <= n; i++)
        {
            p[0] = i;
            var j0 = 0;
            var minv = Enumerable.Repeat(double.PositiveInfinity, m + 1).ToArray();
            var used = new bool[m + 1];
            do
            {
                used[j0] = true;
                var i0 = p[j0];
                var delta = double.PositiveInfinity;
                var j1 = 0;
                for (var j = 1; j <= m; j++)
                {
                    if (!used[j])
                    {
                        var cur = a[i0, j] - u[i0] - v[j];
                        if (cur < minv[j])
                        {
                            minv[j] = cur;
                            way[j] = j0;
                        }

                        if (minv[j] < delta)
                        {
                            delta = minv[j];
                            j1 = j;
                        }
                    }
                }

                for (var j = 0; j <= m; j++)
                {
                    if (used[j])
                    {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    }
                    else
                    {
                        minv[j] -= delta;
                    }
                }

                j0 = j1;
            }
            while (p[j0] != 0);

            do
            {
                var j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            }
            while (j0 != 0);
        }

        var total = 0.0;
        for (var j = 1; j <= m; j++)
        {
            if (p[j] != 0)
            {
                var (row, column) = transpose ? (j - 1, p[j] - 1) : (p[j] - 1, j - 1);
                total += costs[(row * columns) + column];
            }
        }

        return total;
    }

    private static double[] Transpose(double[] costs, int rows, int columns)
    {
        var transposed = new double[costs.Length];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                transposed[(j * rows) + i] = costs[(i * columns) + j];
            }
        }

        return transposed;
    }

    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private static double[] RandomUnitRows(Random random, int n, int d)
    {
        var x = new double[n * d];
        for (var k = 0; k < x.Length; k++)
        {
            x[k] = Gaussian(random);
        }

        Normalize(x, n, d);
        return x;
    }

    private static void Normalize(double[] x, int n, int d)
    {
        for (var i = 0; i < n; i++)
        {
            var norm = 0.0;
            for (var k = 0; k < d; k++)
            {
                norm += x[(i * d) + k] * x[(i * d) + k];
            }

            norm = Math.Sqrt(norm);
            for (var k = 0; k < d; k++)
            {
                x[(i * d) + k] /= norm;
            }
        }
    }
}
