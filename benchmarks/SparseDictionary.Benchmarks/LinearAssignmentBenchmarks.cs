using BenchmarkDotNet.Attributes;
using SparseDictionary.Metrics.Assignment;

namespace SparseDictionary.Benchmarks;

/// <summary>
/// Exact linear assignment (<see cref="LinearAssignment"/>) on three dense square problems.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item><description>
/// Cosine: cost <c>1 - cos(a_i, b_j)</c> between n = 4096 random unit directions <c>a</c> in d = 64 and
/// <c>b = normalise(0.7 * a[perm] + 0.3 * noise)</c>, a noisy permutation of them, where the noise has independent
/// N(0, 1/d) coordinates (expected norm 1). Reference: scipy <c>linear_sum_assignment</c>, 0.134 s (the project
/// specification's figure, measured on another machine; docs/performance.md).
/// </description></item>
/// <item><description>Uniform: n = 2048, costs uniform in [0, 1). Reference: scipy, 0.54 s.</description></item>
/// <item><description>Uniform: n = 4096, costs uniform in [0, 1). Reference: scipy, 2.27 s.</description></item>
/// </list>
/// All matrices are built once with a fixed seed.
/// </remarks>
[MemoryDiagnoser]
public class LinearAssignmentBenchmarks
{
    private const int Seed = 20260;
    private const int CosineDimension = 64;

    private double[] _cosine4096 = [];
    private double[] _uniform2048 = [];
    private double[] _uniform4096 = [];

    [GlobalSetup]
    public void Setup()
    {
        _cosine4096 = NoisyPermutationCosineDistances(4096, CosineDimension, new Random(Seed));
        _uniform2048 = Uniform(2048, new Random(Seed + 1));
        _uniform4096 = Uniform(4096, new Random(Seed + 2));
    }

    [Benchmark(Description = "cosine n=4096 d=64")]
    public AssignmentResult Cosine4096() => LinearAssignment.Solve(_cosine4096, 4096, 4096);

    [Benchmark(Description = "uniform n=2048")]
    public AssignmentResult Uniform2048() => LinearAssignment.Solve(_uniform2048, 2048, 2048);

    [Benchmark(Description = "uniform n=4096")]
    public AssignmentResult Uniform4096() => LinearAssignment.Solve(_uniform4096, 4096, 4096);

    private static double[] Uniform(int n, Random random)
    {
        var costs = new double[n * n];
        for (var k = 0; k < costs.Length; k++)
        {
            costs[k] = random.NextDouble();
        }

        return costs;
    }

    private static double[] NoisyPermutationCosineDistances(int n, int d, Random random)
    {
        var a = new double[n * d];
        for (var k = 0; k < a.Length; k++)
        {
            a[k] = Gaussian(random);
        }

        NormalizeRows(a, n, d);

        var permutation = Enumerable.Range(0, n).ToArray();
        random.Shuffle(permutation);
        var b = new double[n * d];
        var noiseScale = 1.0 / Math.Sqrt(d);
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < d; k++)
            {
                b[(i * d) + k] = (0.7 * a[(permutation[i] * d) + k]) + (0.3 * noiseScale * Gaussian(random));
            }
        }

        NormalizeRows(b, n, d);

        var costs = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            var ai = a.AsSpan(i * d, d);
            for (var j = 0; j < n; j++)
            {
                var bj = b.AsSpan(j * d, d);
                var dot = 0.0;
                for (var k = 0; k < d; k++)
                {
                    dot += ai[k] * bj[k];
                }

                costs[(i * n) + j] = 1.0 - dot;
            }
        }

        return costs;
    }

    private static void NormalizeRows(double[] x, int n, int d)
    {
        for (var i = 0; i < n; i++)
        {
            var row = x.AsSpan(i * d, d);
            var norm = 0.0;
            foreach (var value in row)
            {
                norm += value * value;
            }

            norm = Math.Sqrt(norm);
            for (var k = 0; k < d; k++)
            {
                row[k] /= norm;
            }
        }
    }

    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
