using SparseDictionary.Modeling;
using SparseDictionary.Regularization;
using SparseDictionary.Tensors;

namespace SparseDictionary.Training;

/// <summary>
/// The state of one training run over a fixed set of SAEs: per-SAE buffers and optimizer state, the step counter and
/// tokens seen. <see cref="SaeTrainer"/> drives it; benchmarks time <see cref="Step"/> directly.
/// </summary>
internal sealed class TrainingRun
{
    private readonly SaeTrainerOptions _options;
    private readonly IRegularizer[] _regularizers;
    private readonly SaeTrainingState[] _states;

    public TrainingRun(IReadOnlyList<SparseAutoencoder> saes, SaeTrainerOptions options, IRegularizer[] regularizers, DeadLatentSelection? deadSelection, int batchRows)
    {
        _options = options;
        _regularizers = regularizers;
        _states = saes.Select(sae => new SaeTrainingState(sae, batchRows, deadSelection)).ToArray();
        TotalSteps = options.Steps;
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

    internal SaeTrainingState[] States => _states;

    /// <summary>One step on a validated batch: forward, loss, backward, regularizers, update. Returns the step's figures.</summary>
    /// <exception cref="InvalidOperationException">The loss is not finite; nothing was updated.</exception>
    public (double Loss, float LearningRate, Dictionary<string, double> RegularizerLosses) Step(Matrix batch)
    {
        var learningRate = LearningRateSchedule.At(StepsDone, TotalSteps, _options);
        var (loss, regularizerLosses) = ForwardBackward(batch);
        if (!double.IsFinite(loss))
        {
            throw new InvalidOperationException(
                $"Training diverged at step {StepsDone}: the loss is {loss} (regularizers: {string.Join(", ", regularizerLosses.Select(p => $"{p.Key} = {p.Value}"))}). The SAEs keep the weights of the previous step; try a lower LearningRate than {_options.LearningRate}.");
        }

        foreach (var state in _states)
        {
            state.Update(StepsDone, learningRate, _options, batch.Rows);
        }

        StepsDone++;
        Tokens += batch.Rows;
        return (loss, learningRate, regularizerLosses);
    }

    /// <summary>Forward and backward into the gradient accumulators, without updating anything.</summary>
    public (double Loss, Dictionary<string, double> RegularizerLosses) ForwardBackward(Matrix batch)
    {
        var contexts = new SaeStepContext[_states.Length];
        var loss = 0.0;
        var variance = SaeTrainingState.TotalVariance(batch);
        for (var i = 0; i < _states.Length; i++)
        {
            contexts[i] = _states[i].ForwardBackward(batch, batch, variance);
            loss += _states[i].ReconstructionLoss;
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

    /// <summary>The figures of the last step for a progress report.</summary>
    public TrainingProgress Report(TimeSpan elapsed, float learningRate, double loss, Dictionary<string, double> regularizerLosses)
    {
        var statistics = _states.Select(s => new SaeStepStatistics(
            s.ReconstructionLoss,
            s.FractionOfVarianceUnexplained,
            s.Codes.MeanActive,
            s.DeadFraction(_options.DeadLatentWindowTokens, Tokens))).ToArray();
        var seconds = elapsed.TotalSeconds;
        return new TrainingProgress(StepsDone, TotalSteps, Tokens, seconds > 0 ? Tokens / seconds : 0, learningRate, loss, regularizerLosses, statistics);
    }
}
