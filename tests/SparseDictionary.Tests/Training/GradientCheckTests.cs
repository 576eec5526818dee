using SparseDictionary.Regularization;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Training;

/// <summary>
/// The trainer's analytic gradients against central finite differences of an independent double-precision
/// implementation of the loss, holding each row's active set fixed at the evaluation point (the loss is smooth in
/// the parameters within it).
/// </summary>
/// <remarks>
/// Tolerance: the reference is evaluated in double with step 1e-6; the loss is a polynomial of degree 2 (TopK, ReLU)
/// or smooth (softplus) in each parameter, so the finite difference is accurate to about 1e-9. The analytic gradient
/// is computed in float from sums of at most B·k·d = 5·3·6 products of O(1) terms: its error is a few hundred float
/// ulps, below 1e-4 in absolute terms. We assert |analytic - fd| &lt;= 2e-4 · (1 + |fd|).
/// </remarks>
public class GradientCheckTests
{
    private const int D = 6;
    private const int H = 10;
    private const int Rows = 5;

    public static TheoryData<string> Activations => ["TopK", "ReLU", "SoftplusTopK"];

    [Theory]
    [MemberData(nameof(Activations))]
    public void ReconstructionLoss_GradientMatchesFiniteDifferences(string activation)
    {
        var sae = MakeSae(Activation(activation));
        var batch = TestData.GaussianMatrix(Rows, D, 42);
        var trainer = new SaeTrainer(Options());
        var (loss, gradients) = trainer.ComputeGradients([sae], batch);
        var reference = new ReferenceLoss(sae, batch, auxK: null, tokensSinceFired: null);
        loss.Should().BeApproximately(reference.Evaluate(), 1e-4 * (1 + loss));
        CheckAll(sae, gradients[0], reference);
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void LossWithAuxK_GradientMatchesFiniteDifferences(string activation)
    {
        var sae = MakeSae(Activation(activation));
        var batch = TestData.GaussianMatrix(Rows, D, 43);
        var auxK = new AuxKRegularizer(new AuxKOptions { KAux = 2, Coefficient = 0.7f, DeadWindowTokens = 100 });
        var trainer = new SaeTrainer(Options(), [auxK]);

        // Latents 0, 3, 4, 7, 9 are dead: they have not fired for 1000 tokens.
        var tokensSinceFired = new long[H];
        foreach (var i in new[] { 0, 3, 4, 7, 9 })
        {
            tokensSinceFired[i] = 1000;
        }

        var (loss, gradients) = trainer.ComputeGradients([sae], batch, [tokensSinceFired]);
        var reference = new ReferenceLoss(sae, batch, auxK, tokensSinceFired);
        reference.AuxTermAtStart.Should().BeGreaterThan(0, "the check must exercise the AuxK term");
        loss.Should().BeApproximately(reference.Evaluate(), 1e-4 * (1 + loss));
        CheckAll(sae, gradients[0], reference);
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void LossWithDenoising_GradientMatchesFiniteDifferences(string activation)
    {
        // L = (1/B) Σ ||x - x_hat(x)||² + beta (1/B) Σ ||x - x_hat(x_noised)||², x_noised = dropout(x) of step 0.
        const float beta = 0.7f;
        var sae = MakeSae(Activation(activation));
        var batch = TestData.GaussianMatrix(Rows, D, 44);
        var noiser = new DropoutNoiser(0.3, seed: 2);
        var options = Options();
        options.DenoisingWeight = beta;
        var trainer = new SaeTrainer(options, noiser: noiser);
        var noised = new Matrix(Rows, D);
        noiser.Apply(batch, noised, step: 0);
        noised.Span.ToArray().Count(v => v == 0).Should().BeGreaterThan(0, "the check must see dropped entries");

        var (loss, gradients) = trainer.ComputeGradients([sae], batch);
        var reference = new ReferenceLoss(sae, batch, auxK: null, tokensSinceFired: null, noised, beta);
        loss.Should().BeApproximately(reference.Evaluate(), 1e-4 * (1 + loss));
        CheckAll(sae, gradients[0], reference);
    }

    private static void CheckAll(SparseAutoencoder sae, SaeGradients gradients, ReferenceLoss reference)
    {
        Check("W_enc", sae.EncoderWeights.Span, gradients.EncoderWeights.Span, reference);
        Check("b_enc", sae.EncoderBias.Span, gradients.EncoderBias, reference);
        Check("W_dec", sae.DecoderWeights.Span, gradients.DecoderWeights.Span, reference);
        Check("b_dec", sae.DecoderBias.Span, gradients.DecoderBias, reference);
    }

    private static void Check(string name, Span<float> parameter, ReadOnlySpan<float> analytic, ReferenceLoss reference)
    {
        const double step = 1e-6;
        for (var i = 0; i < parameter.Length; i++)
        {
            var original = parameter[i];
            reference.Offset = (parameter.ToArray(), i, step);
            var plus = reference.EvaluateWithOffset(name);
            reference.Offset = (parameter.ToArray(), i, -step);
            var minus = reference.EvaluateWithOffset(name);
            reference.Offset = default;
            parameter[i].Should().Be(original);
            var fd = (plus - minus) / (2 * step);
            ((double)analytic[i]).Should().BeApproximately(fd, 2e-4 * (1 + Math.Abs(fd)), $"d loss / d {name}[{i}]");
        }
    }

    private static SaeTrainerOptions Options() => new() { BatchSize = Rows, TotalTokens = Rows, DecoderBiasInitialization = DecoderBiasInitialization.None };

    private static IActivation Activation(string name) => name switch
    {
        "TopK" => new TopKActivation(3),
        "ReLU" => new ReLUActivation(),
        _ => new SoftplusTopKActivation(3),
    };

    /// <summary>An SAE whose encoder, biases and decoder all differ, so every gradient path carries signal.</summary>
    private static SparseAutoencoder MakeSae(IActivation activation)
    {
        var sae = new SparseAutoencoder(D, H, activation, seed: 3);
        TestData.Gaussian(H * D, 7, 0.8f).CopyTo(sae.EncoderWeights.Span);
        TestData.Gaussian(H, 8, 0.3f).CopyTo(sae.EncoderBias.Span);
        TestData.Gaussian(D, 9, 0.5f).CopyTo(sae.DecoderBias.Span);
        return sae;
    }

    /// <summary>The loss in double with each row's active set (and AuxK's dead set and residual) fixed at the start point.</summary>
    private sealed class ReferenceLoss
    {
        private readonly SparseAutoencoder _sae;
        private readonly double[][] _x;
        private readonly int[][] _active;
        private readonly int[][] _deadActive;
        private readonly double[][]? _residual;
        private readonly double _residualVariance;
        private readonly AuxKRegularizer? _auxK;
        private readonly double[][]? _xNoised;
        private readonly int[][]? _noisedActive;
        private readonly double _beta;

        public ReferenceLoss(SparseAutoencoder sae, Matrix batch, AuxKRegularizer? auxK, long[]? tokensSinceFired, Matrix? noised = null, double beta = 0)
        {
            _sae = sae;
            _auxK = auxK;
            _x = ToDoubleRows(batch);
            _active = ActiveSets(sae, batch);
            if (noised is not null)
            {
                _xNoised = ToDoubleRows(noised);
                _noisedActive = ActiveSets(sae, noised);
                _beta = beta;
            }

            _deadActive = new int[batch.Rows][];
            if (auxK is not null)
            {
                var dead = Enumerable.Range(0, H).Where(i => tokensSinceFired![i] >= auxK.DeadWindowTokens).ToArray();
                var (wEnc, bEnc, _, bDec) = Parameters(null);
                for (var r = 0; r < batch.Rows; r++)
                {
                    var pre = PreActivations(_x[r], wEnc, bEnc, bDec);
                    _deadActive[r] = dead.Where(i => pre[i] > 0).OrderByDescending(i => pre[i]).ThenBy(i => i).Take(auxK.KAux).ToArray();
                }

                _residual = Enumerable.Range(0, batch.Rows).Select(r => Residual(r)).ToArray();
                var mean = Enumerable.Range(0, D).Select(c => _residual.Average(e => e[c])).ToArray();
                _residualVariance = _residual.Sum(e => e.Select((v, c) => (v - mean[c]) * (v - mean[c])).Sum());
                AuxTermAtStart = AuxTerm(Parameters(null));
            }
        }

        public (float[] Values, int Index, double Step) Offset { get; set; }

        public double AuxTermAtStart { get; }

        public double Evaluate() => Loss(Parameters(null));

        public double EvaluateWithOffset(string name) => Loss(Parameters(name));

        private (double[] WEnc, double[] BEnc, double[] WDec, double[] BDec) Parameters(string? offsetName)
        {
            double[] Take(string name, ReadOnlySpan<float> values)
            {
                var result = values.ToArray().Select(v => (double)v).ToArray();
                if (offsetName == name)
                {
                    result[Offset.Index] += Offset.Step;
                }

                return result;
            }

            return (Take("W_enc", _sae.EncoderWeights.Span), Take("b_enc", _sae.EncoderBias.Span), Take("W_dec", _sae.DecoderWeights.Span), Take("b_dec", _sae.DecoderBias.Span));
        }

        private static double[][] ToDoubleRows(Matrix m) => Enumerable.Range(0, m.Rows).Select(r => m.Row(r).ToArray().Select(v => (double)v).ToArray()).ToArray();

        private static int[][] ActiveSets(SparseAutoencoder sae, Matrix input)
        {
            var codes = sae.Encode(input);
            return Enumerable.Range(0, input.Rows).Select(r => codes.Indices(r).ToArray()).ToArray();
        }

        private static double[] PreActivations(double[] x, double[] wEnc, double[] bEnc, double[] bDec)
        {
            var pre = new double[H];
            for (var i = 0; i < H; i++)
            {
                pre[i] = bEnc[i];
                for (var c = 0; c < D; c++)
                {
                    pre[i] += wEnc[(i * D) + c] * (x[c] - bDec[c]);
                }
            }

            return pre;
        }

        private double Code(double pre) => _sae.Activation is SoftplusTopKActivation ? Math.Log(1 + Math.Exp(pre)) : pre;

        private double[] Reconstruction(double[] input, int[] active, (double[] WEnc, double[] BEnc, double[] WDec, double[] BDec) p)
        {
            var pre = PreActivations(input, p.WEnc, p.BEnc, p.BDec);
            var xHat = (double[])p.BDec.Clone();
            foreach (var i in active)
            {
                var z = Code(pre[i]);
                for (var c = 0; c < D; c++)
                {
                    xHat[c] += z * p.WDec[(i * D) + c];
                }
            }

            return xHat;
        }

        private double[] Residual(int r)
        {
            var xHat = Reconstruction(_x[r], _active[r], Parameters(null));
            return Enumerable.Range(0, D).Select(c => _x[r][c] - xHat[c]).ToArray();
        }

        private double AuxTerm((double[] WEnc, double[] BEnc, double[] WDec, double[] BDec) p)
        {
            var error = 0.0;
            for (var r = 0; r < _x.Length; r++)
            {
                var pre = PreActivations(_x[r], p.WEnc, p.BEnc, p.BDec);
                var estimate = new double[D];
                foreach (var i in _deadActive[r])
                {
                    for (var c = 0; c < D; c++)
                    {
                        estimate[c] += pre[i] * p.WDec[(i * D) + c];
                    }
                }

                error += Enumerable.Range(0, D).Sum(c => (estimate[c] - _residual![r][c]) * (estimate[c] - _residual[r][c]));
            }

            return _auxK!.Coefficient * error / _residualVariance;
        }

        private double Loss((double[] WEnc, double[] BEnc, double[] WDec, double[] BDec) p)
        {
            var total = 0.0;
            var denoising = 0.0;
            for (var r = 0; r < _x.Length; r++)
            {
                var xHat = Reconstruction(_x[r], _active[r], p);
                total += Enumerable.Range(0, D).Sum(c => (xHat[c] - _x[r][c]) * (xHat[c] - _x[r][c]));
                if (_xNoised is not null)
                {
                    var xHatNoised = Reconstruction(_xNoised[r], _noisedActive![r], p);
                    denoising += Enumerable.Range(0, D).Sum(c => (xHatNoised[c] - _x[r][c]) * (xHatNoised[c] - _x[r][c]));
                }
            }

            total = (total + (_beta * denoising)) / _x.Length;
            return _auxK is null ? total : total + AuxTerm(p);
        }
    }
}
