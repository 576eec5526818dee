using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

/// <summary>
/// The selection passes (<see cref="SelectionPasses{TLanes, TValues, TIndices, TCounts}"/>) on each register width this
/// CPU has, against plain loops, and the read of a row's last partial block by each width's lanes.
/// </summary>
public unsafe class SelectionLanesTests
{
    /// <summary>Every length from 0 to 40, then lengths around blocks of 8 and 16, groups of 4 blocks and SAE widths.</summary>
    private static readonly int[] Lengths = [.. Enumerable.Range(0, 41), 47, 63, 64, 65, 97, 127, 128, 129, 191, 193, 255, 256, 257, 511, 513];

    /// <summary>A check run on the lanes of one width.</summary>
    private interface ICheck
    {
        void Run<TLanes, TValues, TIndices, TCounts>()
            where TLanes : struct, ISelectionLanes<TValues, TIndices, TCounts>
            where TValues : struct
            where TIndices : struct
            where TCounts : struct;
    }

    /// <summary>The widths this CPU runs: scalar and portable 256-bit everywhere, AVX2 and AVX-512 where it has them.</summary>
    public static TheoryData<string> Widths()
    {
        var data = new TheoryData<string> { "Scalar", "Vector256" };
        if (Avx2.IsSupported)
        {
            data.Add("Avx2");
        }

        if (Avx512F.IsSupported)
        {
            data.Add("Avx512");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void LoadLast_ReadsTheRowsLastEntriesAndFillsTheOtherLanes(string width) => OnWidth<LoadLastCheck>(width);

    [Theory]
    [MemberData(nameof(Widths))]
    public void Passes_MatchPlainLoops_OverEveryLengthTo40AndAwkwardSizes(string width) => OnWidth<PassesCheck>(width);

    private static void OnWidth<TCheck>(string width)
        where TCheck : struct, ICheck
    {
        var check = default(TCheck);
        switch (width)
        {
            case "Scalar":
                check.Run<SelectionLanesScalar, float, int, int>();
                break;
            case "Vector256":
                check.Run<SelectionLanes256<Vector256BlockMemory>, Vector256<float>, Vector256<int>, Vector256<int>>();
                break;
            case "Avx2":
                check.Run<SelectionLanes256<Avx2BlockMemory>, Vector256<float>, Vector256<int>, Vector256<int>>();
                break;
            default:
                check.Run<SelectionLanes512, Vector512<float>, Vector512<int>, int>();
                break;
        }
    }

    /// <summary>The lanes of a block (a vector, or one float or int).</summary>
    private static T[] LanesOf<TBlock, T>(TBlock block)
        where TBlock : struct
        where T : struct =>
        MemoryMarshal.Cast<TBlock, T>(MemoryMarshal.CreateSpan(ref block, 1)).ToArray();

    /// <summary>
    /// A row of <paramref name="n"/> entries with many ties and, for odd patterns, NaN on some entries (the last one
    /// included).
    /// </summary>
    private static float[] Row(int n, int pattern)
    {
        var values = TestData.Gaussian(n, (n * 17) + pattern).Select(v => MathF.Round(v * 4) / 4).ToArray();
        if (pattern % 2 == 1)
        {
            for (var i = 0; i < n; i++)
            {
                if (i % 5 == pattern % 5 || i == n - 1)
                {
                    values[i] = float.NaN;
                }
            }
        }

        return values;
    }

    private readonly struct LoadLastCheck : ICheck
    {
        void ICheck.Run<TLanes, TValues, TIndices, TCounts>()
        {
            var lanes = TLanes.Count;
            foreach (var n in Lengths.Where(n => n % lanes != 0))
            {
                var start = n - (n % lanes);
                var row = Enumerable.Range(0, n).Select(i => i + 0.5f).ToArray();
                var positions = Enumerable.Range(0, n).Select(i => 1000 + i).ToArray();
                foreach (var fill in new[] { float.NaN, -7f })
                {
                    int first;
                    TValues block;
                    TIndices indexBlock;
                    fixed (float* r = row)
                    fixed (int* p = positions)
                    {
                        block = TLanes.LoadLast(r, start, n, fill, out first);
                        indexBlock = TLanes.LoadLastIndices(p, first, n);
                    }

                    var because = $"n = {n}, fill {fill}, lanes {lanes}";
                    first.Should().BeInRange(Math.Max(0, n - lanes), start, because);
                    var values = LanesOf<TValues, float>(block);
                    var indices = LanesOf<TIndices, int>(indexBlock);
                    for (var lane = 0; lane < lanes; lane++)
                    {
                        var at = first + lane;
                        if (at >= start && at < n)
                        {
                            values[lane].Should().Be(row[at], because);
                            indices[lane].Should().Be(positions[at], because);
                        }
                        else
                        {
                            values[lane].Should().Be(fill, because);
                        }
                    }
                }
            }
        }
    }

    private readonly struct PassesCheck : ICheck
    {
        void ICheck.Run<TLanes, TValues, TIndices, TCounts>()
        {
            const int Guard = 24;
            foreach (var n in Lengths)
            {
                foreach (var pattern in Enumerable.Range(0, 4))
                {
                    var values = Row(n, pattern);
                    var numbers = values.Where(v => !float.IsNaN(v)).ToArray();
                    var because = $"n = {n}, pattern {pattern}, lanes {TLanes.Count}";
                    var (min, max, count) = SelectionPasses<TLanes, TValues, TIndices, TCounts>.MinMaxOfNumbers(values);
                    count.Should().Be(numbers.Length, because);
                    min.Should().Be(numbers.Length > 0 ? numbers.Min() : float.PositiveInfinity, because);
                    max.Should().Be(numbers.Length > 0 ? numbers.Max() : float.NegativeInfinity, because);
                    if (numbers.Length == n && n > 0)
                    {
                        SelectionPasses<TLanes, TValues, TIndices, TCounts>.Max(values).Should().Be(numbers.Max(), because);
                    }

                    foreach (var t in new[] { float.NegativeInfinity, -0.5f, 0f, 0.75f, float.PositiveInfinity })
                    {
                        var kept = Enumerable.Range(0, n).Where(i => values[i] >= t).ToArray();
                        var keptValues = kept.Select(i => values[i]).ToArray();
                        SelectionPasses<TLanes, TValues, TIndices, TCounts>.CountAtLeast(values, t).Should().Be(kept.Length, $"{because}, t = {t}");

                        var filteredValues = new float[n];
                        var filteredIndices = new int[n];
                        var m = SelectionPasses<TLanes, TValues, TIndices, TCounts>.Filter(values, t, filteredValues, filteredIndices, n);
                        m.Should().Be(kept.Length, $"{because}, t = {t}");
                        filteredIndices[..m].Should().Equal(kept, $"{because}, t = {t}");
                        filteredValues[..m].Should().Equal(keptValues, $"{because}, t = {t}");
                        if (kept.Length > 0)
                        {
                            SelectionPasses<TLanes, TValues, TIndices, TCounts>.Filter(values, t, filteredValues, filteredIndices, kept.Length - 1)
                                .Should().Be(-1, $"{because}, t = {t}");
                        }

                        // The compaction of candidates (positions scrambled) into outputs of exactly the kept count.
                        var candidateIndices = Enumerable.Range(0, n).Select(i => (i * 7919) % 100_003).ToArray();
                        var indexBuffer = Enumerable.Repeat(-7, kept.Length + (2 * Guard)).ToArray();
                        var valueBuffer = Enumerable.Repeat(-7f, kept.Length + (2 * Guard)).ToArray();
                        var written = SelectionPasses<TLanes, TValues, TIndices, TCounts>.Compact(
                            values, candidateIndices, t, indexBuffer.AsSpan(Guard, kept.Length), valueBuffer.AsSpan(Guard, kept.Length));
                        written.Should().Be(kept.Length, $"{because}, t = {t}");
                        indexBuffer.AsSpan(Guard, written).ToArray().Should().Equal(kept.Select(i => candidateIndices[i]), $"{because}, t = {t}");
                        valueBuffer.AsSpan(Guard, written).ToArray().Should().Equal(keptValues, $"{because}, t = {t}");
                        indexBuffer.Take(Guard).Concat(indexBuffer.Skip(Guard + written)).Should().OnlyContain(i => i == -7, because);
                        valueBuffer.Take(Guard).Concat(valueBuffer.Skip(Guard + written)).Should().OnlyContain(v => v == -7f, because);
                    }
                }
            }
        }
    }
}
