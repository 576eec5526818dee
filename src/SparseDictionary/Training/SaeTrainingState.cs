using SparseDictionary.Kernels;
using SparseDictionary.Regularization;

namespace SparseDictionary;

/// <summary>
/// Everything one SAE needs during a run: step buffers sized for the batch, gradient accumulators, AdamW moments and
/// the firing statistics that decide which latents are dead.
/// </summary>
internal sealed class SaeTrainingState
{

    public SaeTrainingState(SparseAutoencoder model, int index, int batchSize, DeadLatentSelection? deadSelection, bool denoising)
    {
        Model = model;
        Index = index;
        var d = model.InputDimension;
        var h = model.LatentCount;
        Clean = new ReconstructionPass(model, batchSize);
        Noised = denoising ? new ReconstructionPass(model, batchSize) : null;
        Gradients = new SaeGradients(h, d);
        DeadSelection = deadSelection;
        if (deadSelection is { } selection)
        {
            DeadCodes = new SparseCodes(batchSize, h, Math.Min(selection.TopK, h));
        }

        Firing = new FiringStatistics(h);
        Optimizer = new AdamWState(h, d);
        // Cache-line aligned, like the parameters they follow (AlignedMemory).
    }

    public SparseAutoencoder Model { get; }

    /// <summary>The update a prepare call checked, waiting for <see cref="ApplyUpdate"/>.</summary>
    private PendingUpdate? _pending;

    /// <summary>The SAE's index in the run, for messages.</summary>
    public int Index { get; }

    /// <summary>Proves, before each update, that the weights stay finite (<see cref="StepGuard"/>).</summary>
    public StepGuard Guard { get; } = new();

    /// <summary>Validates the SAE's weights and sets the guard's bounds; call before the first step of a run (and after a restore).</summary>
    public void StartGuard() => Guard.Start(Model, Index, [.. Optimizer.ByName.Select(p => p.Moments.First)]);

    /// <summary>AdamW's moments and step count.</summary>
    public AdamWState Optimizer { get; }

    /// <summary>Which latents fire: the dead-latent window and the step's counts.</summary>
    public FiringStatistics Firing { get; }

    /// <summary>The pass on the clean batch: its codes drive the firing statistics, AuxK and the progress figures.</summary>
    public ReconstructionPass Clean { get; }

    /// <summary>In denoising training, the pass whose encoder sees the noised batch (target: the clean batch); null otherwise.</summary>
    public ReconstructionPass? Noised { get; }

    public SparseCodes Codes => Clean.Codes;

    public SaeGradients Gradients { get; }

    public DeadLatentSelection? DeadSelection { get; }

    public SparseCodes? DeadCodes { get; }

    /// <summary>Per latent: tokens since it last fired (reset to 0 in a step where it fires).</summary>
    public long[] TokensSinceFired => Firing.TokensSinceFired;

    /// <summary>How many times this SAE was reinitialised in the run.</summary>
    public int ReinitializationCount { get; private set; }

    /// <summary>Figures of the last forward pass: (1/B) Σ ||x - x_hat||² on the clean batch.</summary>
    public double ReconstructionLoss => Clean.Loss;

    /// <summary>Figures of the last forward pass: (1/B) Σ ||x - x_hat_noised||² (unweighted), or null without denoising.</summary>
    public double? DenoisingLoss => Noised?.Loss;

    /// <summary>Figures of the last forward pass (clean batch).</summary>
    public double FractionOfVarianceUnexplained => Clean.FractionOfVarianceUnexplained;

    /// <summary>
    /// Clears the accumulators and runs the clean pass, L_rec = (1/B) Σ_b ||x_b - x_hat_b||², then, when
    /// <paramref name="noised"/> is given, the denoising pass, weight · (1/B) Σ_b ||x_b - x_hat_noised,b||², adding both
    /// gradients. <paramref name="targetVariance"/> = Σ_b ||x_b - mean(x)||² (shared by all SAEs of a step).
    /// </summary>
    public SaeStepContext ForwardBackward(Matrix clean, Matrix? noised, double targetVariance, float denoisingWeight)
    {
        var deadCount = Forward(clean, noised, targetVariance, denoisingWeight);

        // The clean pass writes every row of the two weight gradients (zero for latents that did not fire), so only the
        // small bias gradients are cleared first.
        Gradients.ClearBiases();
        Firing.BeginStep();
        Clean.Backward(Model, Gradients, Firing.StepCounts, overwriteWeightGradients: true);
        Noised?.Backward(Model, Gradients, default);

        return new SaeStepContext(Model, clean, Clean.Centered, Clean.Codes, Clean.Reconstruction, Gradients)
        {
            DeadLatentCodes = DeadCodes,
            DeadLatentCount = deadCount,
            ReconstructionLoss = Clean.Loss,
            ReinitializationCount = ReinitializationCount,
        };
    }

    /// <summary>
    /// The forward passes of <see cref="ForwardBackward"/> (clean, then noised when given), with the dead-latent
    /// extraction when a regularizer asked for it. Returns the number of dead latents.
    /// </summary>
    public int Forward(Matrix clean, Matrix? noised, double targetVariance, float denoisingWeight)
    {
        DeadLatentRequest? request = null;
        var deadCount = 0;
        if (DeadSelection is { } selection && DeadCodes is not null)
        {
            var dead = DeadLatents(selection.WindowTokens);
            deadCount = dead.Length;
            if (dead.Length > 0)
            {
                request = new DeadLatentRequest(dead, DeadCodes);
            }
            else
            {
                for (var r = 0; r < clean.Rows; r++)
                {
                    DeadCodes.SetCount(r, 0);
                }
            }
        }

        // The encoder gradient is dead until the accumulators are cleared (AdamW consumed it last step): the encoder
        // passes pack W_enc into it instead of renting latents x d more floats. Its whole pinned array is lent, so the
        // packing starts on the same cache line as the gradient.
        var packingBuffer = AlignedMemory.UnderlyingArray(Gradients.EncoderWeightsBuffer);
        Clean.Forward(Model, clean, clean, targetVariance, 1f, packingBuffer, request);
        Noised?.Forward(Model, noised!, clean, targetVariance, denoisingWeight, packingBuffer, null);
        return deadCount;
    }

    /// <summary>
    /// After <see cref="Forward"/> without a noised batch, when nothing else adds to the gradients (no regularizer): the
    /// clean pass's backward and the update in one pass over the latents. Each latent's two weight-gradient
    /// rows are summed into per-thread scratch and its encoder and decoder rows updated at once, so the latents x d
    /// gradient arrays are neither written nor read back (they are left unspecified). Bit-identical to
    /// <see cref="ForwardBackward"/>'s backward then <see cref="PrepareUpdate"/> and <see cref="ApplyUpdate"/> when d is a multiple of 8: each row then meets
    /// the AdamW kernel's vector body and scalar tail at the same elements as the whole array does. For other d it runs
    /// those two.
    /// </summary>
    /// <remarks>
    /// Two phases, so that a step of several SAEs either updates all of them or none: <see cref="PrepareFusedUpdate"/>
    /// (the activation's backward and the step guard's bounds; nothing is updated) for every SAE, then
    /// <see cref="ApplyUpdate"/> for every SAE. <paramref name="batchMaxMagnitude"/> is max |x| over the batch (it bounds
    /// the encoder gradient); <paramref name="step"/> names the step in messages.
    /// </remarks>
    /// <exception cref="InvalidOperationException">A gradient or an updated weight could leave float range; nothing was updated.</exception>
    public void PrepareFusedUpdate(float learningRate, SaeTrainerOptions options, int batchRows, double batchMaxMagnitude, long step)
    {
        Gradients.ClearBiases();
        if (Model.InputDimension % 8 != 0)
        {
            // The one-pass update is bit-identical only for d a multiple of 8: form the gradients, then update as usual.
            Firing.BeginStep();
            Clean.Backward(Model, Gradients, Firing.StepCounts, overwriteWeightGradients: true);
            PrepareUpdate(learningRate, options, step);
            return;
        }

        Clean.BackwardCodes(Model, Gradients);
        // Bounds on the four gradients from O(B·k + d) figures (StepGuard's remarks), then on the updated weights.
        var (codes, codeGradients) = Clean.CodeMagnitudes();
        var output = 2.0 / batchRows * Math.Sqrt(batchRows * ReconstructionLoss);
        Guard.CheckGradientBound(codeGradients * (batchMaxMagnitude + Guard.DecoderBiasBound), 0, step, Index);
        Guard.CheckGradientBound(codeGradients, 1, step, Index);
        Guard.CheckGradientBound(codes * output, 2, step, Index);
        Guard.CheckGradientBound((batchRows * output) + (codeGradients * Guard.EncoderWeightBound), 3, step, Index);
        var weights = Optimizer.NextStep(learningRate, options);
        _pending = new PendingUpdate(weights, Guard.PlanUpdate(weights, step, Index), Fused: true);
    }

    /// <summary>
    /// After <see cref="ForwardBackward"/> and the regularizers: checks the four gradient arrays and the updated weights'
    /// bounds (<see cref="StepGuard"/>) without updating anything; <see cref="ApplyUpdate"/> then updates.
    /// </summary>
    /// <exception cref="InvalidOperationException">A gradient is not finite or too large, or the update could overflow a weight; nothing was updated.</exception>
    public void PrepareUpdate(float learningRate, SaeTrainerOptions options, long step)
    {
        Guard.CheckGradients(Gradients, Model.InputDimension, step, Index);
        var weights = Optimizer.NextStep(learningRate, options);
        _pending = new PendingUpdate(weights, Guard.PlanUpdate(weights, step, Index), Fused: false);
    }

    /// <summary>
    /// The update a prepare call checked: AdamW on every parameter (the decoder gradient projected onto each row's
    /// tangent space, rows renormalised), the firing history, the guard's bounds. On the fused path each latent's
    /// gradient rows are summed into per-thread scratch and its encoder and decoder rows updated at once, so the
    /// latents x d gradient arrays are neither written nor read back; bit-identical to the two passes.
    /// </summary>
    public void ApplyUpdate(int batchRows)
    {
        var pending = _pending ?? throw new InvalidOperationException("No update was prepared.");
        _pending = null;
        var weights = pending.Weights;
        var d = Model.InputDimension;
        var h = Model.LatentCount;
        var path = KernelPaths.Current;
        Optimizer.Steps++;
        if (pending.Fused)
        {
            var encoder = Model.EncoderWeightsBuffer;
            var decoder = Model.DecoderWeightsBuffer;
            var (m0, v0, m2, v2) = (Optimizer.EncoderWeights.First, Optimizer.EncoderWeights.Second, Optimizer.DecoderWeights.First, Optimizer.DecoderWeights.Second);
            Firing.BeginStep();
            Clean.ForEachLatentWeightGradients(Model, Gradients, Firing.StepCounts, (i, decoderGradient, encoderGradient) =>
            {
                var at = i * d;
                AdamW.UpdateRange(encoder.Span.Slice(at, d), encoderGradient, m0.Span.Slice(at, d), v0.Span.Slice(at, d), weights, path);
                AdamW.UpdateUnitNormRow(decoder.Span.Slice(at, d), decoderGradient, m2.Span.Slice(at, d), v2.Span.Slice(at, d), weights, path);
            });
        }
        else
        {
            AdamW.Update(Model.EncoderWeightsBuffer, Gradients.EncoderWeightsBuffer, Optimizer.EncoderWeights.First, Optimizer.EncoderWeights.Second, weights, path);
            // Tangent projection of the decoder gradient, AdamW and row renormalisation in one pass (bit-identical to the three).
            AdamW.UpdateUnitNormRows(Model.DecoderWeightsBuffer, Gradients.DecoderWeightsBuffer, Optimizer.DecoderWeights.First, Optimizer.DecoderWeights.Second, h, d, weights, path);
        }

        UpdateBiases(weights with { WeightDecay = 0 }, path, batchRows);
        Guard.Commit(pending.Bounds);
    }

    /// <summary>AdamW on the two biases (no weight decay), then the firing history.</summary>
    private void UpdateBiases(AdamWStep biases, KernelPath path, int batchRows)
    {
        AdamW.Update(Model.EncoderBiasBuffer, Gradients.EncoderBiasBuffer, Optimizer.EncoderBias.First, Optimizer.EncoderBias.Second, biases, path);
        AdamW.Update(Model.DecoderBiasBuffer, Gradients.DecoderBiasBuffer, Optimizer.DecoderBias.First, Optimizer.DecoderBias.Second, biases, path);
        Firing.EndStep(batchRows);
    }

    /// <summary>The inactivity deviation of the last step's clean batch (expected frequency: the batch's mean firing frequency).</summary>
    public double InactivityDeviationOfStep(int batchRows, InactivityMeasure measure) => Firing.InactivityDeviationOfStep(batchRows, measure);

    /// <summary>
    /// Fresh tied weights from <paramref name="seed"/>, b_dec from <paramref name="batch"/> as <paramref name="decoderBias"/>
    /// says (kept as it was for None), AdamW moments and step count and the firing history cleared.
    /// </summary>
    public void Reinitialize(int seed, Matrix batch, DecoderBiasInitialization decoderBias)
    {
        var previousBias = Model.DecoderBiasBuffer.ToArray();
        Model.InitializeWeights(seed);
        if (decoderBias == DecoderBiasInitialization.None)
        {
            previousBias.CopyTo(Model.DecoderBiasBuffer.Span);
        }
        else
        {
            Model.InitializeDecoderBias(batch, decoderBias);
        }

        Optimizer.Clear();
        Firing.ClearHistory();
        ReinitializationCount++;
        StartGuard();
    }

    /// <summary>AdamW's step count (bias corrections), reset by a reinitialisation.</summary>
    public long OptimizerSteps => Optimizer.Steps;

    /// <summary>Adds this SAE's optimizer moments and firing history to a checkpoint, under <paramref name="prefix"/>.</summary>
    public void WriteState(IO.SafeTensorsWriter writer, string prefix)
    {
        long d = Model.InputDimension;
        long h = Model.LatentCount;
        long[][] shapes = [[h, d], [h], [h, d], [d]];
        var p = 0;
        foreach (var (name, moments) in Optimizer.ByName)
        {
            writer.Add($"{prefix}adamw.m.{name}", moments.First.Span, shapes[p]);
            writer.Add($"{prefix}adamw.v.{name}", moments.Second.Span, shapes[p++]);
        }

        writer.Add($"{prefix}tokens_since_fired", TokensSinceFired, [h]);
    }

    /// <summary>Restores what <see cref="WriteState"/> wrote, the optimizer step count and the reinitialisation count.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing or has the wrong type or shape.</exception>
    public void ReadState(IO.SafeTensorsFile file, string prefix, long optimizerSteps, int reinitializationCount)
    {
        foreach (var (parameter, moments) in Optimizer.ByName)
        {
            ReadExact(file, $"{prefix}adamw.m.{parameter}", moments.First.Span);
            ReadExact(file, $"{prefix}adamw.v.{parameter}", moments.Second.Span);
        }

        var name = $"{prefix}tokens_since_fired";
        var history = file.Contains(name) ? file.ReadInt64(name) : throw new InvalidDataException($"{file.Path} has no tensor '{name}'.");
        if (history.Length != TokensSinceFired.Length)
        {
            throw new InvalidDataException($"Tensor '{name}' of {file.Path} has {history.Length} entries; the SAE has {TokensSinceFired.Length} latents.");
        }

        history.CopyTo(TokensSinceFired, 0);
        Optimizer.Steps = optimizerSteps;
        ReinitializationCount = reinitializationCount;
    }

    private static void ReadExact(IO.SafeTensorsFile file, string name, Span<float> destination)
    {
        if (!file.Contains(name))
        {
            throw new InvalidDataException($"{file.Path} has no tensor '{name}'.");
        }

        var info = file.GetInfo(name);
        if (info.DataType != IO.SafeTensorsDataType.F32 || info.ElementCount != destination.Length)
        {
            throw new InvalidDataException($"Tensor '{name}' of {file.Path} is {info.DataType} {info.ShapeText}; expected F32 with {destination.Length} elements.");
        }

        file.ReadSingle(name, destination);
    }

    /// <summary>Share of latents that have not fired for <paramref name="windowTokens"/> tokens (0 until that many tokens were seen).</summary>
    public double DeadFraction(long windowTokens, long tokensSeen) => Firing.DeadFraction(windowTokens, tokensSeen);

    private int[] DeadLatents(long windowTokens) => Firing.DeadLatents(windowTokens);

    /// <summary>
    /// Σ_b ||x_b - mean(x)||², the denominator of the reported fraction of variance unexplained (and of nothing else:
    /// neither the loss nor any gradient depends on it), by <see cref="DataStatistics.TotalVariance(Matrix)"/>: two passes in
    /// double, parallel and deterministic.
    /// </summary>
    internal static double TotalVariance(Matrix x) => DataStatistics.TotalVariance(x);

    /// <summary>An update checked by the step guard: its AdamW hyper-parameters and the parameter bounds after it.</summary>
    private sealed record PendingUpdate(AdamWStep Weights, double[] Bounds, bool Fused);
}
