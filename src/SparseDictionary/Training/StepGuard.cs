using System.Numerics.Tensors;
using SparseDictionary.Kernels;
using SparseDictionary.Regularization;

namespace SparseDictionary;

/// <summary>
/// Keeps one SAE's weights finite through training: it checks, before anything is updated, that the step's gradients
/// and the weights AdamW will write are bounded well inside float range, and throws otherwise. The SAE then keeps the
/// weights, moments and statistics of its last completed step.
/// </summary>
/// <remarks>
/// <para>Checking the updated weights after the fact would need a copy of every parameter and moment per step to roll
/// back; instead the guard proves finiteness from bounds that cost O(B·k + h + d) per step:</para>
/// <para>Gradients. With the output gradient G = w·(2/B)(x_hat - x) (so |G_bj| ≤ w·(2/B)·sqrt(B·L) from the pass's
/// loss L), the code values z and the pre-activation gradients δ of the activation's backward:
/// |∂L/∂W_dec[i,j]| = |Σ_b z_bi G_bj| ≤ Σ|z|·max|G|, |∂L/∂W_enc[i,j]| = |Σ_b δ_bi (x_bj - b_dec,j)| ≤ Σ|δ|·(max|x| + max|b_dec|),
/// and the two bias gradients are checked directly. Where a regularizer or a noiser adds gradients, the four gradient
/// arrays are checked directly (a pass over them). Every gradient must stay below <see cref="GradientLimit"/>, so that
/// g² and AdamW's moments stay finite.</para>
/// <para>Updates. AdamW writes p ← p(1 - lr·wd) - lr·u with u = m̂/(sqrt(v̂) + eps). Since m and v are built from zero by
/// the same gradients, |m_t| ≤ (1-b1)/sqrt(1-b2) · sqrt(v_t) / (1 - b1/sqrt(b2)) when b1 &lt; sqrt(b2), so
/// |u| ≤ U = 1.01 · (1-b1)/(sqrt(1-b2)(1 - b1/sqrt(b2))) · sqrt(1-b2^t)/(1-b1^t) + 1e-18/((1-b1^t) eps) (the second
/// term covers gradients so small that g² underflows); otherwise |u| ≤ max|g|/((1-b1^t) eps). The guard tracks a bound
/// P on each parameter's magnitude (exact at the start of a run, then P ← P·|1 - lr·wd| + lr·U; decoder rows are
/// renormalised to norm ≤ 1 after each step) and refuses a step whose bound would pass <see cref="WeightLimit"/>
/// (decoder rows before renormalisation: <see cref="DecoderWeightLimit"/>, so their squared norms stay finite).</para>
/// <para>The bounds are conservative: on data and settings where training is sane they are many orders of magnitude
/// below the limits, and they never let a non-finite value through.</para>
/// </remarks>
internal sealed class StepGuard
{
    /// <summary>Largest gradient magnitude accepted (its square stays far inside float range).</summary>
    public const double GradientLimit = 1e18;

    /// <summary>Largest magnitude an encoder weight or a bias may reach.</summary>
    public const double WeightLimit = 1e30;

    /// <summary>Largest magnitude a decoder weight may reach before its row is renormalised.</summary>
    public const double DecoderWeightLimit = 1e15;

    private static readonly string[] Names = ["encoder.weight (W_enc)", "encoder.bias (b_enc)", "decoder.weight (W_dec)", "decoder.bias (b_dec)"];

    // Bounds on max |p| per parameter, in the order of Names.
    private readonly double[] _weights = new double[4];
    private double _gradientHistory;

    /// <summary>Validates the SAE's weights (all finite) and sets the bounds from them; <paramref name="firstMoments"/> bounds the gradient history.</summary>
    /// <exception cref="ArgumentException">A weight is NaN or infinite; the message names the SAE, the parameter and the position.</exception>
    public void Start(SparseAutoencoder sae, int saeIndex, ReadOnlySpan<Memory<float>> firstMoments)
    {
        ReadOnlyMemory<float>[] parameters = [sae.EncoderWeightsBuffer, sae.EncoderBiasBuffer, sae.DecoderWeightsBuffer, sae.DecoderBiasBuffer];
        for (var p = 0; p < parameters.Length; p++)
        {
            var values = parameters[p].Span;
            var position = FiniteCheck.FirstNonFinite(values);
            if (position >= 0)
            {
                throw new ArgumentException(
                    $"SAE {saeIndex}'s {Names[p]} holds {values[position]} at {Position(p, position, sae.InputDimension)}; training needs finite weights.", "saes");
            }

            _weights[p] = values.Length == 0 ? 0 : Math.Abs(TensorPrimitives.MaxMagnitude(values));
        }

        _gradientHistory = 0;
        foreach (var moment in firstMoments)
        {
            if (moment.Length > 0)
            {
                _gradientHistory = Math.Max(_gradientHistory, Math.Abs(TensorPrimitives.MaxMagnitude(moment.Span)));
            }
        }
    }

    /// <summary>Bound on max |b_dec|, for the encoder-gradient bound.</summary>
    public double DecoderBiasBound => _weights[3];

    /// <summary>Bound on max |W_enc|, for the b_dec gradient bound.</summary>
    public double EncoderWeightBound => _weights[0];

    /// <summary>Throws when <paramref name="bound"/> on parameter <paramref name="parameter"/>'s gradient is not below <see cref="GradientLimit"/>.</summary>
    public void CheckGradientBound(double bound, int parameter, long step, int saeIndex)
    {
        if (!(bound < GradientLimit))
        {
            throw new InvalidOperationException(
                $"Step {step}, SAE {saeIndex}: the gradient of {Names[parameter]} could reach {bound:G3}, beyond the {GradientLimit:G0} AdamW keeps finite. Nothing was updated; the SAEs keep the weights of the previous step. Scale the data down (activations of order 1 are typical) or lower the learning rate.");
        }

        _gradientHistory = Math.Max(_gradientHistory, bound);
    }

    /// <summary>Checks the four materialised gradient arrays directly (finite and below the limit).</summary>
    public void CheckGradients(SaeGradients gradients, int d, long step, int saeIndex)
    {
        ReadOnlyMemory<float>[] arrays = [gradients.EncoderWeightsBuffer, gradients.EncoderBiasBuffer, gradients.DecoderWeightsBuffer, gradients.DecoderBiasBuffer];
        for (var p = 0; p < arrays.Length; p++)
        {
            var values = arrays[p].Span;
            var largest = values.Length == 0 ? 0 : Math.Abs(TensorPrimitives.MaxMagnitude(values));
            if (!float.IsFinite(largest))
            {
                var position = FiniteCheck.FirstNonFinite(values);
                throw new InvalidOperationException(
                    $"Step {step}, SAE {saeIndex}: the gradient of {Names[p]} is {values[position]} at {Position(p, position, d)} (a regularizer or the data produced it). Nothing was updated; the SAEs keep the weights of the previous step.");
            }

            CheckGradientBound(largest, p, step, saeIndex);
        }
    }

    /// <summary>
    /// The parameter bounds after an AdamW step with <paramref name="adamW"/>; throws before anything is updated when one
    /// would pass its limit. Call <see cref="Commit"/> with the result after the update.
    /// </summary>
    public double[] PlanUpdate(AdamWStep adamW, long step, int saeIndex)
    {
        var u = UpdateBound(adamW);
        var decay = Math.Abs(1 - ((double)adamW.LearningRate * adamW.WeightDecay));
        var next = new double[4];
        for (var p = 0; p < 4; p++)
        {
            var decayed = p is 0 or 2 ? _weights[p] * decay : _weights[p];
            var bound = (decayed + ((double)adamW.LearningRate * u)) * (1 + 1e-6);
            var limit = p == 2 ? DecoderWeightLimit : WeightLimit;
            if (!(bound < limit))
            {
                throw new InvalidOperationException(
                    $"Step {step}, SAE {saeIndex}: AdamW could take {Names[p]} to magnitude {bound:G3} (learning rate {adamW.LearningRate}, weight decay {adamW.WeightDecay}), past the {limit:G0} that keeps it finite. Nothing was updated; the SAEs keep the weights of the previous step; lower LearningRate or WeightDecay.");
            }

            // Decoder rows are renormalised to unit norm (zero rows stay zero) right after the update.
            next[p] = p == 2 ? 1 : bound;
        }

        return next;
    }

    /// <summary>Takes the bounds <see cref="PlanUpdate"/> computed, once the update is done.</summary>
    public void Commit(double[] bounds) => bounds.CopyTo(_weights, 0);

    /// <summary>A bound U on |m̂/(sqrt(v̂) + eps)| (see the remarks).</summary>
    private double UpdateBound(AdamWStep adamW)
    {
        double b1 = adamW.Beta1, b2 = adamW.Beta2;
        var c1 = Math.Max((double)adamW.BiasCorrection1, 1e-30);
        var c2 = (double)adamW.BiasCorrection2;
        var historyBound = _gradientHistory / (c1 * adamW.Epsilon);
        if (b1 < Math.Sqrt(b2))
        {
            var ratio = (1 - b1) / (Math.Sqrt(1 - b2) * (1 - (b1 / Math.Sqrt(b2))));
            return Math.Min((1.01 * ratio * Math.Sqrt(c2) / c1) + (1e-18 / (c1 * adamW.Epsilon)), historyBound + 1e-30);
        }

        return historyBound;
    }

    private static string Position(int parameter, int index, int d) =>
        parameter is 0 or 2 ? $"row {index / d}, column {index % d}" : $"index {index}";
}
