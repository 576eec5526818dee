using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Regularization;

/// <summary>AuxK's term against its formula, computed independently in double: alpha · Σ ||e - e_hat||² / Σ ||e - mean(e)||².</summary>
public sealed class AuxKRegularizerTests
{
    private const int D = 8;
    private const int Latents = 16;
    private const int Rows = 12;

    [Theory]
    [InlineData(0f)]
    [InlineData(1e4f)]
    public void Term_MatchesItsFormula_EvenWithALargeOffset(float offset)
    {
        var sae = new SparseAutoencoder(D, Latents, new TopKActivation(2), seed: 3);
        var batch = TestData.GaussianMatrix(Rows, D, seed: 5);
        for (var i = 0; i < batch.Span.Length; i++)
        {
            batch.Span[i] += offset;
        }

        // b_dec stays 0: the residual e = x - x_hat keeps most of the common offset, which a one-pass variance cancels.
        var auxK = new AuxKRegularizer(new AuxKOptions { KAux = 3, Coefficient = 0.5f, DeadWindowTokens = 1 });
        var trainer = new SaeTrainer(new SaeTrainerOptions { BatchSize = Rows, TotalTokens = Rows }, [auxK]);
        // Latents 8..15 count as dead (fired long ago); 0..7 alive.
        var history = Enumerable.Range(0, Latents).Select(i => i >= 8 ? 1000L : 0L).ToArray();
        var result = trainer.ComputeGradients([sae], batch, [history]);

        var expected = Reference(sae, batch, deadFrom: 8, kAux: 3, alpha: 0.5);
        result.RegularizerLosses["AuxK"].Should().BeApproximately(expected, 1e-4 * Math.Max(1, Math.Abs(expected)));
    }

    [Fact]
    public void Term_IsZeroWithoutDeadLatents()
    {
        var sae = new SparseAutoencoder(D, Latents, new TopKActivation(2), seed: 3);
        var trainer = new SaeTrainer(new SaeTrainerOptions { BatchSize = Rows, TotalTokens = Rows }, [new AuxKRegularizer(new AuxKOptions { KAux = 3, DeadWindowTokens = 1 })]);
        trainer.ComputeGradients([sae], TestData.GaussianMatrix(Rows, D, seed: 5), [new long[Latents]]).RegularizerLosses["AuxK"].Should().Be(0);
    }

    /// <summary>The term in double with plain loops: the main pass's residual, then the top k_aux positive pre-activations among the dead latents.</summary>
    private static double Reference(SparseAutoencoder sae, Matrix batch, int deadFrom, int kAux, double alpha)
    {
        var reconstruction = sae.Reconstruct(batch);
        var e = new double[Rows, D];
        var mean = new double[D];
        for (var r = 0; r < Rows; r++)
        {
            for (var c = 0; c < D; c++)
            {
                e[r, c] = (double)batch[r, c] - reconstruction[r, c];
                mean[c] += e[r, c] / Rows;
            }
        }

        double variance = 0, error = 0;
        for (var r = 0; r < Rows; r++)
        {
            var pre = new List<(double Value, int Latent)>();
            for (var i = deadFrom; i < Latents; i++)
            {
                var value = (double)sae.EncoderBias.Span[i];
                for (var c = 0; c < D; c++)
                {
                    value += (double)sae.EncoderWeights[i, c] * ((double)batch[r, c] - sae.DecoderBias.Span[c]);
                }

                pre.Add((value, i));
            }

            var chosen = pre.OrderByDescending(p => p.Value).ThenBy(p => p.Latent).Take(kAux).Where(p => p.Value > 0).ToArray();
            for (var c = 0; c < D; c++)
            {
                var estimate = chosen.Sum(p => p.Value * sae.DecoderWeights[p.Latent, c]);
                error += (e[r, c] - estimate) * (e[r, c] - estimate);
                variance += (e[r, c] - mean[c]) * (e[r, c] - mean[c]);
            }
        }

        return alpha * error / variance;
    }
}
