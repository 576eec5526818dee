using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using SparseDictionary.Kernels;

namespace SparseDictionary.Benchmarks;

/// <summary>
/// The top-k selection kernel alone (<see cref="TopKSelection.Select"/>, the one <see cref="TopKActivation"/> runs
/// inside the fused encoder pass), at the widths and k of the training-step configurations: 512 latents k 36 (C3),
/// 3072 k 32 (C1) and 16384 k 32 (C2).
/// </summary>
/// <remarks>
/// <para>
/// Each invocation selects one block of <see cref="EncoderPass.RowBlock"/> consecutive rows, in order, as the encoder
/// pass does (the kernel carries a threshold hint from one row to the next on the same thread), and reports the time
/// <em>per row</em> (<c>OperationsPerInvoke</c>). The Rows/s column is rows per second on one core, 1e9 / median (ns);
/// for example 2,000 ns per row is 500,000 rows/s, so C3's 10,000-row batch costs 20 ms of one core (10 ms on both).
/// </para>
/// <para>
/// Rows: <c>Sae</c> = the pre-activations (x - b_dec) W_enc^T + b_enc of a freshly initialised SAE on synthetic
/// feature data, as in the training-step benchmark; <c>Gaussian</c> = independent N(0, 1) entries.
/// </para>
/// <para>
/// Baseline: <see cref="FullSort"/> sorts the whole row (value descending) and keeps the first k, listed by index: what
/// a plain implementation would do. <see cref="ScalarPath"/>, <see cref="Vector256Path"/>, <see cref="Avx2FmaPath"/>
/// and <see cref="Avx512FmaPath"/> run the kernel on each path (Vector256 and Avx2Fma share the 8-lane passes:
/// Avx2Fma reads a row's short last block with masked loads and copies kept entries through a permutation table,
/// Vector256 overlaps the last block and copies kept entries one by one; Avx512Fma counts 16 entries per compare and
/// copies with compress instructions, and falls back to the portable 8-lane code on a CPU without AVX-512);
/// <see cref="BestPath"/> is what training uses on this CPU.
/// </para>
/// <para>
/// Run: <c>dotnet run -c Release --project benchmarks/SparseDictionary.Benchmarks -- --filter '*TopK*' --job short</c>.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class TopKSelectionBenchmarks
{
    private const int RowsPerInvoke = EncoderPass.RowBlock;

    private float[] _rows = [];
    private int[] _indices = [];
    private float[] _selected = [];
    private float[] _sortKeys = [];
    private int[] _sortIndices = [];
    private int _width;
    private int _k;

    /// <summary>Row width (latents) and k.</summary>
    [Params("512 k 36", "3072 k 32", "16384 k 32")]
    public string Shape { get; set; } = "512 k 36";

    /// <summary>Where the rows come from: an SAE's pre-activations on synthetic data, or Gaussian noise.</summary>
    [Params("Sae", "Gaussian")]
    public string Rows { get; set; } = "Sae";

    /// <summary>Builds the block of rows and the output buffers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split(" k ");
        _width = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        _k = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        _rows = Rows == "Sae" ? SaePreActivations(_width, _k) : GaussianRows(_width);
        _indices = new int[_k];
        _selected = new float[_k];
        _sortKeys = new float[_width];
        _sortIndices = new int[_width];
    }

    /// <summary>Full sort of each row, then the first k by index (the baseline).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = RowsPerInvoke)]
    public int FullSort()
    {
        var total = 0;
        for (var r = 0; r < RowsPerInvoke; r++)
        {
            var row = _rows.AsSpan(r * _width, _width);
            for (var i = 0; i < _width; i++)
            {
                _sortKeys[i] = -row[i];
                _sortIndices[i] = i;
            }

            Array.Sort(_sortKeys, _sortIndices);
            Array.Sort(_sortIndices, 0, _k);
            for (var j = 0; j < _k; j++)
            {
                _indices[j] = _sortIndices[j];
                _selected[j] = row[_sortIndices[j]];
            }

            total += _k;
        }

        return total;
    }

    /// <summary>The kernel on its scalar path.</summary>
    [Benchmark(OperationsPerInvoke = RowsPerInvoke)]
    public int ScalarPath() => SelectBlock(KernelPath.Scalar);

    /// <summary>The kernel on the portable Vector256 path.</summary>
    [Benchmark(OperationsPerInvoke = RowsPerInvoke)]
    public int Vector256Path() => SelectBlock(KernelPath.Vector256);

    /// <summary>The kernel on the AVX2 path (the 8-lane code of <see cref="Vector256Path"/>).</summary>
    [Benchmark(OperationsPerInvoke = RowsPerInvoke)]
    public int Avx2FmaPath() => SelectBlock(KernelPath.Avx2Fma);

    /// <summary>The kernel on the AVX-512 path: 16 entries per compare, compress instructions for the copies.</summary>
    [Benchmark(OperationsPerInvoke = RowsPerInvoke)]
    public int Avx512FmaPath() => SelectBlock(KernelPath.Avx512Fma);

    /// <summary>The kernel on the best path of this CPU (what training uses).</summary>
    [Benchmark(OperationsPerInvoke = RowsPerInvoke)]
    public int BestPath() => SelectBlock(KernelPaths.Best);

    private int SelectBlock(KernelPath path)
    {
        var total = 0;
        for (var r = 0; r < RowsPerInvoke; r++)
        {
            total += TopKSelection.Select(_rows.AsSpan(r * _width, _width), _k, _indices, _selected, path);
        }

        return total;
    }

    /// <summary>Pre-activations of an SAE with tied initialisation and b_dec = the data mean, on synthetic feature rows.</summary>
    private static float[] SaePreActivations(int width, int k)
    {
        var d = width == 512 ? 256 : 768;
        var source = new SyntheticFeatureSource(new SyntheticFeatureOptions { InputDimension = d, FeatureCount = 2 * d, GroupCount = 12, ActiveFeatures = 32, Seed = 1 });
        var input = new Matrix(RowsPerInvoke, d);
        source.Read(input);
        var sae = new SparseAutoencoder(d, width, new TopKActivation(k), seed: 1);
        sae.InitializeDecoderBias(input, DecoderBiasInitialization.Mean);
        var centered = new float[RowsPerInvoke * d];
        var bDec = sae.DecoderBias.Span;
        for (var r = 0; r < RowsPerInvoke; r++)
        {
            var x = input.Row(r);
            for (var c = 0; c < d; c++)
            {
                centered[(r * d) + c] = x[c] - bDec[c];
            }
        }

        var rows = new float[RowsPerInvoke * width];
        using var packed = Gemm.PackRight(true, d, width, sae.EncoderWeightsBuffer.Span, d);
        Gemm.Multiply(false, RowsPerInvoke, 1f, centered, d, packed, 0f, rows, width);
        var bEnc = sae.EncoderBias.Span;
        for (var r = 0; r < RowsPerInvoke; r++)
        {
            for (var i = 0; i < width; i++)
            {
                rows[(r * width) + i] += bEnc[i];
            }
        }

        return rows;
    }

    /// <summary>Independent standard normal entries (Box-Muller, seeded).</summary>
    private static float[] GaussianRows(int width)
    {
        var random = new Random(7);
        var rows = new float[RowsPerInvoke * width];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return rows;
    }

    /// <summary>Adds the rows/s column.</summary>
    public sealed class ThroughputConfig : ManualConfig
    {
        /// <summary>Creates the config.</summary>
        public ThroughputConfig() => AddColumn(ThroughputColumn.RowsPerSecond);
    }
}
