using SparseDictionary.Metrics.Assignment;

namespace SparseDictionary.Metrics.Tests.Assignment;

/// <summary>Reference solvers and data for the linear-assignment tests: brute force, an independent Hungarian method, random costs, checks.</summary>
public static class AssignmentReference
{
    /// <summary>The kinds of random cost matrices.</summary>
    public enum CostKind
    {
        Uniform,
        IntegerTies,
        Negative,
        Forbidden,
    }

    public static double[] RandomCosts(Random random, int rows, int columns, CostKind kind, bool maximize, double forbiddenShare = 0.3)
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
    public static double? BruteForce(double[] costs, int rows, int columns, bool maximize)
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

    public static void AssertValid(AssignmentResult result, double[] costs, int rows, int columns, bool maximize)
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
    public static double ReferenceHungarian(double[] costs, int rows, int columns, bool maximize)
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

    public static double[] Transpose(double[] costs, int rows, int columns)
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

    public static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public static double[] RandomUnitRows(Random random, int n, int d)
    {
        var x = new double[n * d];
        for (var k = 0; k < x.Length; k++)
        {
            x[k] = Gaussian(random);
        }

        Normalize(x, n, d);
        return x;
    }

    public static void Normalize(double[] x, int n, int d)
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
