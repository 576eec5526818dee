using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

public class AdamWTests
{
    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void Update_MatchesDoubleReference_OverAwkwardLengths(KernelPath path)
    {
        foreach (var n in TestData.AwkwardLengths.Append(70_001))
        {
            var p = TestData.Gaussian(n, n + 1);
            var g = TestData.Gaussian(n, n + 2, 0.1f);
            var m = TestData.Gaussian(n, n + 3, 0.01f);
            var v = TestData.Gaussian(n, n + 4, 0.01f).Select(x => x * x).ToArray();
            var step = AdamWStep.ForStep(7, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.05f);
            var (pRef, mRef, vRef) = Reference(p, g, m, v, step);
            AdamW.Update(p, g, m, v, step, path);

            // Each output is a handful of float operations on O(1) values: a few ulps of its magnitude, plus
            // the update's own size (lr = 1e-2) times float epsilon for the division and square root.
            for (var i = 0; i < n; i++)
            {
                m[i].Should().BeApproximately((float)mRef[i], 1e-6f * (1 + MathF.Abs(m[i])), $"m[{i}], n = {n}");
                v[i].Should().BeApproximately((float)vRef[i], 1e-6f * (1 + MathF.Abs(v[i])), $"v[{i}], n = {n}");
                p[i].Should().BeApproximately((float)pRef[i], 1e-6f * (1 + MathF.Abs(p[i])), $"p[{i}], n = {n}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Paths), MemberType = typeof(TestData))]
    public void UpdateUnitNormRows_IsBitIdenticalToProjectThenUpdateThenNormalize(KernelPath path)
    {
        // Row lengths around the vector width, primes and 257; row counts below, at and above one chunk (and in
        // parallel chunks for the long ones), with zero rows and zero gradient rows mixed in.
        var shapes = TestData.AwkwardLengths.Where(d => d <= 70).Select(d => (Rows: 37, D: d))
            .Concat([(1, 768), (0, 5), (300, 1), (41, 255), (97, 256), (130, 257), (257, 127), (64, 769), (211, 97), (200, 769), (90, 1001)]);
        foreach (var (rows, d) in shapes)
        {
            var n = rows * d;
            var w = TestData.Gaussian(n, n + 1);
            for (var r = 0; r < rows; r++)
            {
                RowKernels.NormalizeRow(w.AsSpan(r * d, d));
            }

            var g = TestData.Gaussian(n, n + 2, 0.1f);
            var m = TestData.Gaussian(n, n + 3, 0.01f);
            var v = TestData.Gaussian(n, n + 4, 0.01f).Select(x => x * x).ToArray();
            if (rows > 3 && d > 0)
            {
                Array.Clear(w, 2 * d, d);
                Array.Clear(g, 3 * d, d);
            }

            var step = AdamWStep.ForStep(3, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f);
            var (wRef, gRef, mRef, vRef) = ((float[])w.Clone(), (float[])g.Clone(), (float[])m.Clone(), (float[])v.Clone());
            RowKernels.RemoveParallelComponent(gRef, wRef, rows, d);
            AdamW.Update(wRef, gRef, mRef, vRef, step, path);
            RowKernels.NormalizeRows(wRef, rows, d);

            AdamW.UpdateUnitNormRows(w, g, m, v, rows, d, step, path);
            w.Should().Equal(wRef, $"{rows} x {d}, path {path}");
            g.Should().Equal(gRef);
            m.Should().Equal(mRef);
            v.Should().Equal(vRef);
        }
    }

    private static (double[] P, double[] M, double[] V) Reference(float[] p, float[] g, float[] m, float[] v, AdamWStep s)
    {
        var n = p.Length;
        var (pr, mr, vr) = (new double[n], new double[n], new double[n]);
        for (var i = 0; i < n; i++)
        {
            mr[i] = (s.Beta1 * (double)m[i]) + ((1 - (double)s.Beta1) * g[i]);
            vr[i] = (s.Beta2 * (double)v[i]) + ((1 - (double)s.Beta2) * g[i] * (double)g[i]);
            var mHat = mr[i] / s.BiasCorrection1;
            var vHat = vr[i] / s.BiasCorrection2;
            pr[i] = (p[i] * (1 - ((double)s.LearningRate * s.WeightDecay))) - (s.LearningRate * mHat / (Math.Sqrt(vHat) + s.Epsilon));
        }

        return (pr, mr, vr);
    }
}
