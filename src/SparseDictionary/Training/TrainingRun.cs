using SparseDictionary.Randomness;
using SparseDictionary.Regularization;

namespace SparseDictionary;

/// <summary>
/// The state of one training run over a fixed set of SAEs: per-SAE buffers and optimizer state, the noised-batch
/// buffer, the step counter, tokens seen and reinitialisations. <see cref="SaeTrainer"/> drives it; benchmarks time
/// <see cref="Step"/> directly.
/// </summary>
internal sealed class TrainingRun
{
    private readonly SaeTrainerOptions _options;
    private readonly IRegularizer[] _regularizers;
    private readonly INoiser? _noiser;
    private readonly Matrix? _noisedBatch;
    private readonly SaeTrainingState[] _states;
    private readonly List<ReinitializationEvent> _reinitializations = [];
    private int _reported;

    public TrainingRun(IReadOnlyList<SparseAutoencoder> saes, SaeTrainerOptions options, IRegularizer[] regularizers, DeadLatentSelection? deadSelection, INoiser? noiser, int batchRows)
    {
        _options = options;
        _regularizers = regularizers;
        _noiser = noiser;
        if (noiser is not null)
        {
            _noisedBatch = Matrix.CreateAligned(batchRows, saes[0].InputDimension);
        }

        _states = saes.Select((sae, i) => new SaeTrainingState(sae, i, batchRows, deadSelection, denoising: noiser is not null)).ToArray();
        TotalSteps = options.Steps;
        foreach (var state in _states)
        {
            state.StartGuard();
        }

        foreach (var regularizer in regularizers)
        {
            regularizer.Reset();
        }
    }

    /// <summary>Steps completed.</summary>
    public long StepsDone { get; private set; }

    /// <summary>Steps of the whole run (sets the learning-rate schedule).</summary>
    public long TotalSteps { get; set; }

    /// <summary>Tokens trained on.</summary>
    public long Tokens { get; private set; }

    /// <summary>Every reinitialisation so far, in order.</summary>
    public IReadOnlyList<ReinitializationEvent> Reinitializations => _reinitializations;

    /// <summary>Whether reinitialisations happened since the last <see cref="Report"/>.</summary>
    public bool HasUnreportedReinitializations => _reported < _reinitializations.Count;

    internal SaeTrainingState[] States => _states;

    /// <summary>Tokens already trained on when this run object started (non-zero for a resumed run).</summary>
    public long TokensAtStart { get; private set; }

    /// <summary>
    /// Puts a fresh run at a checkpoint's position: its step and token counts and reinitialisations (the SAEs' own
    /// optimizer and firing state is restored through <see cref="SaeTrainingState.ReadState"/>).
    /// </summary>
    public void RestorePosition(long stepsDone, long tokens, IEnumerable<ReinitializationEvent> reinitializations)
    {
        StepsDone = stepsDone;
        Tokens = tokens;
        TokensAtStart = tokens;
        _reinitializations.Clear();
        _reinitializations.AddRange(reinitializations);
        _reported = _reinitializations.Count;
        foreach (var state in _states)
        {
            state.StartGuard();
        }
    }

    /// <summary>
    /// One step on a validated batch: noise, forward, loss, backward, regularizers, update, then the reinitialisation
    /// check. Returns the step's figures. With no regularizer and no noiser, the backward pass and the update of each
    /// SAE run as one pass (<see cref="SaeTrainingState.PrepareFusedUpdate"/> and <see cref="SaeTrainingState.ApplyUpdate"/>), after the loss is known to be finite.
    /// </summary>
    /// <exception cref="InvalidOperationException">The loss is not finite, or the noiser produced a non-finite value; nothing was updated.</exception>
    /// <param name="batch">The batch, validated finite.</param>
    /// <param name="batchMaxMagnitude">max |x| over the batch (from its validation), for the step guard.</param>
    public (double Loss, float LearningRate, Dictionary<string, double> RegularizerLosses) Step(Matrix batch, double batchMaxMagnitude)
    {
        var learningRate = LearningRateSchedule.At(StepsDone, TotalSteps, _options);
        double loss;
        Dictionary<string, double> regularizerLosses;
        if (_regularizers.Length == 0 && _noiser is null)
        {
            // Nothing adds to the gradients between the backward pass and the update: both run in one pass per SAE.
            var variance = SaeTrainingState.TotalVariance(batch);
            ForEachSae(i => _states[i].Forward(batch, null, variance, _options.DenoisingWeight));
            loss = _states.Sum(state => state.ReconstructionLoss);
            regularizerLosses = [];
            ThrowIfDiverged(loss, regularizerLosses);
            // Every SAE's gradients and update are checked before any SAE is updated.
            ForEachSae(i => _states[i].PrepareFusedUpdate(learningRate, _options, batch.Rows, batchMaxMagnitude, StepsDone));
            ForEachSae(i => _states[i].ApplyUpdate(batch.Rows));
        }
        else
        {
            (loss, regularizerLosses) = ForwardBackward(batch);
            ThrowIfDiverged(loss, regularizerLosses);
            ForEachSae(i => _states[i].PrepareUpdate(learningRate, _options, StepsDone));
            ForEachSae(i => _states[i].ApplyUpdate(batch.Rows));
        }

        if (_options.Reinitialization is { } reinitialization && StepsDone < reinitialization.Steps)
        {
            Reinitialize(batch, reinitialization);
        }

        StepsDone++;
        Tokens += batch.Rows;
        return (loss, learningRate, regularizerLosses);
    }

    private void ThrowIfDiverged(double loss, Dictionary<string, double> regularizerLosses)
    {
        if (!double.IsFinite(loss))
        {
            throw new InvalidOperationException(
                $"Training diverged at step {StepsDone}: the loss is {loss} (regularizers: {string.Join(", ", regularizerLosses.Select(p => $"{p.Key} = {p.Value}"))}). The SAEs keep the weights of the previous step; try a lower LearningRate than {_options.LearningRate}.");
        }
    }

    /// <summary>Forward and backward into the gradient accumulators, without updating anything.</summary>
    public (double Loss, Dictionary<string, double> RegularizerLosses) ForwardBackward(Matrix batch)
    {
        Matrix? noised = null;
        if (_noiser is not null)
        {
            noised = _noisedBatch!;
            _noiser.Apply(batch, noised, StepsDone);
            var position = FiniteCheck.FirstNonFinite(noised.Span);
            if (position >= 0)
            {
                throw new InvalidOperationException(
                    $"The noiser {_noiser.Name} produced {noised.Span[position]} at row {position / noised.Columns}, column {position % noised.Columns} of step {StepsDone}; noised inputs must be finite. The SAEs keep the weights of the previous step.");
            }
        }

        var variance = SaeTrainingState.TotalVariance(batch);
        var contexts = new SaeStepContext[_states.Length];
        ForEachSae(i => contexts[i] = _states[i].ForwardBackward(batch, noised, variance, _options.DenoisingWeight));
        var loss = 0.0;
        foreach (var state in _states)
        {
            loss += state.ReconstructionLoss + (_options.DenoisingWeight * (state.DenoisingLoss ?? 0));
        }

        var regularizerLosses = new Dictionary<string, double>();
        if (_regularizers.Length > 0)
        {
            var context = new RegularizerContext(StepsDone, TotalSteps, Tokens, batch, contexts);
            foreach (var regularizer in _regularizers)
            {
                var term = regularizer.Apply(context);
                regularizerLosses[regularizer.Name] = regularizerLosses.GetValueOrDefault(regularizer.Name) + term;
                loss += term;
            }
        }

        return (loss, regularizerLosses);
    }

    /// <summary>The figures of the last step for a progress report; marks the reinitialisations so far as reported.</summary>
    public TrainingProgress Report(TimeSpan elapsed, float learningRate, double loss, Dictionary<string, double> regularizerLosses)
    {
        var rows = _states[0].Codes.Rows;
        var statistics = _states.Select(s => new SaeStepStatistics(
            s.ReconstructionLoss,
            s.FractionOfVarianceUnexplained,
            s.Codes.MeanActive,
            s.DeadFraction(_options.DeadLatentWindowTokens, Tokens),
            s.InactivityDeviationOfStep(rows, InactivityMeasure.Linear),
            s.DenoisingLoss,
            s.ReinitializationCount)).ToArray();
        var events = _reinitializations.Skip(_reported).ToArray();
        _reported = _reinitializations.Count;
        var seconds = elapsed.TotalSeconds;
        return new TrainingProgress(StepsDone, TotalSteps, Tokens, seconds > 0 ? (Tokens - TokensAtStart) / seconds : 0, learningRate, loss, regularizerLosses, statistics, events);
    }

    /// <summary>
    /// Runs <paramref name="action"/> for every SAE index, the SAEs concurrently when there are several (each SAE's
    /// step touches only its own state, and its kernels give the same bits whichever threads run them).
    /// </summary>
    private void ForEachSae(Action<int> action)
    {
        if (_states.Length == 1)
        {
            action(0);
        }
        else
        {
            try
            {
                Parallel.For(0, _states.Length, action);
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                // Surface a user part's exception (e.g. from a custom activation) as it was thrown.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
        }
    }

    private void Reinitialize(Matrix batch, ReinitializationOptions reinitialization)
    {
        for (var i = 0; i < _states.Length; i++)
        {
            var state = _states[i];
            var deviation = state.InactivityDeviationOfStep(batch.Rows, reinitialization.Measure);
            if (deviation > reinitialization.Threshold)
            {
                // The seed depends only on the trainer's seed, the SAE's index and how often it was reinitialised.
                var stream = DeterministicRandom.DeriveSeed((ulong)(uint)_options.Seed, 0x4E1417 + (ulong)i);
                var seed = (int)(DeterministicRandom.DeriveSeed(stream, (ulong)state.ReinitializationCount) & int.MaxValue);
                state.Reinitialize(seed, batch, _options.DecoderBiasInitialization);
                _reinitializations.Add(new ReinitializationEvent(StepsDone, i, deviation, seed));
            }
        }
    }
}
