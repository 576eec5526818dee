using SparseDictionary.Kernels;
using SparseDictionary.Metrics.Assignment;
using static SparseDictionary.Metrics.Tests.Assignment.AssignmentReference;

namespace SparseDictionary.Metrics.Tests.Assignment;

/// <summary>Larger problems: complementary slackness and an independent Hungarian solver.</summary>
public class LinearAssignmentLargeProblemTests
{
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
}
