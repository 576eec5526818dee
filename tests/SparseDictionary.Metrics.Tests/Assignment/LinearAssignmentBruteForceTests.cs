using SparseDictionary.Kernels;
using SparseDictionary.Metrics.Assignment;
using static SparseDictionary.Metrics.Tests.Assignment.AssignmentReference;

namespace SparseDictionary.Metrics.Tests.Assignment;

/// <summary>Exact optimality against brute force on every small shape, and the same assignment on every kernel path.</summary>
public class LinearAssignmentBruteForceTests
{
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
}
