using System.Diagnostics;
using Microsoft.Extensions.Options;
using SparseDictionary.Regularization;

namespace SparseDictionary;

/// <summary>
/// Trains one or several sparse autoencoders on the same stream of batches with AdamW, a unit-norm decoder, any
/// number of <see cref="IRegularizer"/> terms (AuxK, Mutual Feature Regularization), optional denoising training
/// (<see cref="INoiser"/>) and optional conditional reinitialisation (<see cref="ReinitializationOptions"/>).
/// </summary>
/// <remarks>
/// <para>One step, for each SAE: encoder product fused with the activation (only the active latents are kept),
/// sparse decode, loss L = (1/B) Σ_b ||x_b - x_hat_b||² plus the regularizer terms, sparse backward (only active
/// latents are touched), removal of each decoder-row gradient's component along its row, AdamW, decoder rows
/// renormalised to unit norm, firing statistics updated.</para>
/// <para>Denoising training (seed 000, as DESIGN.md reads the poster): with a noiser, the batch x is also noised into
/// a separate buffer (the source's rows are not copied or changed) and each SAE's loss becomes
/// ||x - x_hat||² + beta · ||x - x_hat_noised||² (means over rows), where x_hat_noised decodes the codes of the noised
/// input and beta is <see cref="SaeTrainerOptions.DenoisingWeight"/>. Firing statistics, AuxK and the reported FVU
/// come from the clean pass.</para>
/// <para>Runs are deterministic: the same SAEs, source, options and regularizers give bit-identical weights on the
/// same machine, whatever the thread scheduling.</para>
/// <para>A trainer holds only its configuration; it can run any number of trainings, one after another or at once on
/// different SAEs.</para>
/// </remarks>
public sealed class SaeTrainer
{
    private readonly SaeTrainerOptions _options;
    private readonly IRegularizer[] _regularizers;
    private readonly DeadLatentSelection? _deadSelection;
    private readonly INoiser? _noiser;

    /// <summary>Creates a trainer.</summary>
    /// <param name="options">The options; copied and validated.</param>
    /// <param name="regularizers">Extra loss terms, e.g. <see cref="AuxKRegularizer"/>; null for none.</param>
    /// <param name="noiser">The input noise of denoising training, e.g. <see cref="DropoutNoiser"/>; null (default) for plain training.</param>
    /// <exception cref="OptionsValidationException">An option is invalid; the message names it and its value.</exception>
    /// <exception cref="ArgumentException">Two regularizers ask for different dead-latent selections.</exception>
    public SaeTrainer(SaeTrainerOptions options, IEnumerable<IRegularizer>? regularizers = null, INoiser? noiser = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var copy = options.Clone();
        var validation = new SaeTrainerOptionsValidator().Validate(Microsoft.Extensions.Options.Options.DefaultName, copy);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(SaeTrainerOptions), validation.Failures);
        }

        _options = copy;
        _noiser = noiser;
        _regularizers = regularizers?.ToArray() ?? [];
        foreach (var regularizer in _regularizers)
        {
            ArgumentNullException.ThrowIfNull(regularizer, nameof(regularizers));
            if (regularizer.DeadLatentSelection is { } selection)
            {
                if (selection.TopK < 1 || selection.WindowTokens < 1)
                {
                    throw new ArgumentException($"Regularizer {regularizer.Name} asks for a dead-latent selection of top {selection.TopK} over {selection.WindowTokens} tokens; both must be at least 1.", nameof(regularizers));
                }

                if (_deadSelection is { } existing && existing != selection)
                {
                    throw new ArgumentException($"Regularizers ask for different dead-latent selections ({existing} and {selection} from {regularizer.Name}); one trainer supports one.", nameof(regularizers));
                }

                _deadSelection = selection;
            }
        }
    }

    /// <summary>Creates a trainer from options bound through Microsoft.Extensions.Options.</summary>
    /// <param name="options">The options accessor.</param>
    /// <param name="regularizers">Extra loss terms; null for none.</param>
    /// <param name="noiser">The input noise of denoising training; null for plain training.</param>
    public SaeTrainer(IOptions<SaeTrainerOptions> options, IEnumerable<IRegularizer>? regularizers = null, INoiser? noiser = null)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value, regularizers, noiser)
    {
    }

    /// <summary>A copy of the trainer's options.</summary>
    public SaeTrainerOptions Options => _options.Clone();

    /// <summary>The regularizers, in the order they are applied.</summary>
    public IReadOnlyList<IRegularizer> Regularizers => _regularizers;

    /// <summary>The input noise of denoising training, or null.</summary>
    public INoiser? Noiser => _noiser;

    /// <summary>Trains one SAE.</summary>
    /// <param name="sae">The SAE; trained in place.</param>
    /// <param name="source">The training rows; rewound to its start first.</param>
    /// <param name="progress">Receives a report every <see cref="SaeTrainerOptions.ProgressIntervalSteps"/> steps and after the last.</param>
    /// <param name="cancellationToken">Stops the run cleanly between two steps; the result then says <c>Cancelled</c>.</param>
    /// <returns>What the run did.</returns>
    /// <exception cref="ArgumentException">The source's width differs from the SAE's input dimension, the SAE holds a non-finite weight, a bounded source has fewer rows than a batch, or a regularizer refuses the SAE; nothing was changed.</exception>
    /// <exception cref="InvalidDataException">A batch holds a NaN or infinite value (the message names step, row, column and value); the SAE keeps the weights of the previous step.</exception>
    /// <exception cref="InvalidOperationException">The loss became non-finite, a gradient or an updated weight could leave float range (the message names the step, the SAE and the parameter), or the source ended before the first full batch; the SAE keeps the weights of the previous step (at step 0, b_dec is restored too).</exception>
    public TrainingResult Train(SparseAutoencoder sae, IActivationSource source, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sae);
        return Train([sae], source, progress, cancellationToken);
    }

    /// <summary>Trains several SAEs together on the same batches (they may differ in latent count and activation).</summary>
    /// <param name="saes">The SAEs, distinct instances with the source's input dimension; trained in place.</param>
    /// <param name="source">The training rows; rewound to its start first.</param>
    /// <param name="progress">Receives a report every <see cref="SaeTrainerOptions.ProgressIntervalSteps"/> steps and after the last.</param>
    /// <param name="cancellationToken">Stops the run cleanly between two steps; the result then says <c>Cancelled</c>.</param>
    /// <returns>What the run did.</returns>
    /// <exception cref="ArgumentException">No SAE, a repeated SAE, a width that differs from the source's, a non-finite weight, a bounded source with fewer rows than a batch, or a regularizer that refuses the SAEs (e.g. MFR with one SAE); nothing was changed.</exception>
    /// <exception cref="InvalidDataException">A batch holds a NaN or infinite value; the SAEs keep the weights of the previous step.</exception>
    /// <exception cref="InvalidOperationException">The loss became non-finite, a gradient or an updated weight could leave float range (the message names the step, the SAE and the parameter), or the source ended before the first full batch; the SAEs keep the weights of the previous step (at step 0, b_dec is restored too).</exception>
    /// <exception cref="IOException">A checkpoint (<see cref="SaeTrainerOptions.Checkpoints"/>) could not be written; the message names it. The SAEs hold the step just completed.</exception>
    public TrainingResult Train(IReadOnlyList<SparseAutoencoder> saes, IActivationSource source, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(saes);
        ArgumentNullException.ThrowIfNull(source);
        ValidateModels(saes, source.Dimension, source.Length);

        var run = new TrainingRun(saes, _options, _regularizers, _deadSelection, _noiser, _options.BatchSize);
        using var prefetching = Prefetch(source);
        var reader = prefetching ?? source;
        reader.Reset();
        return RunSteps(run, saes, reader, progress, cancellationToken);
    }

    /// <summary>
    /// Continues the run a checkpoint was taken from, with this trainer's regularizers and noiser, to the end of its
    /// budget. The final weights are bit-identical to those of the uninterrupted run.
    /// </summary>
    /// <param name="checkpoint">A checkpoint of a run with the same options (except <see cref="SaeTrainerOptions.Checkpoints"/> and <see cref="SaeTrainerOptions.ProgressIntervalSteps"/>), the same regularizers in the same order, and the same noiser.</param>
    /// <param name="source">The same data, built the same way as for the interrupted run (same files, seed and shuffle); it is reset and moved to the checkpoint's position (<see cref="ISeekableActivationSource.Seek"/>, or by reading and discarding rows).</param>
    /// <param name="progress">Receives progress reports as in <see cref="Train(IReadOnlyList{SparseAutoencoder}, IActivationSource, IProgress{TrainingProgress}?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Stops the run cleanly between two steps.</param>
    /// <returns>What the resumed part of the run did; <see cref="TrainingResult.Steps"/> counts all steps of the run.</returns>
    /// <exception cref="ArgumentException">The options, regularizers, noiser or source do not match the checkpoint's run; the message names the difference.</exception>
    /// <exception cref="InvalidDataException">The checkpoint's state files are damaged or do not fit the run.</exception>
    /// <exception cref="IOException">A new checkpoint could not be written; the message names it. The SAEs hold the step just completed.</exception>
    public TrainingResult Resume(TrainingCheckpoint checkpoint, IActivationSource source, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(source);
        var saes = checkpoint.Saes;
        ValidateModels(saes, source.Dimension, source.Length);
        CheckpointResume.CheckCompatible(checkpoint, _options, _regularizers, _noiser);
        var run = new TrainingRun(saes, _options, _regularizers, _deadSelection, _noiser, _options.BatchSize);
        CheckpointResume.Restore(checkpoint, run, _regularizers, _noiser);
        using var prefetching = Prefetch(source);
        var reader = prefetching ?? source;
        CheckpointResume.PositionSource(reader, checkpoint.Tokens, _options.BatchSize);
        return RunSteps(run, saes, reader, progress, cancellationToken);
    }

    /// <summary>The prefetching wrapper the options ask for (it leaves the user's source open), or null to read directly.</summary>
    private PrefetchingActivationSource? Prefetch(IActivationSource source) =>
        _options.PrefetchSource && source is not (InMemoryActivationSource or SyntheticFeatureSource or PrefetchingActivationSource)
            ? new PrefetchingActivationSource(source, leaveInnerOpen: true)
            : null;

    private TrainingResult RunSteps(TrainingRun run, IReadOnlyList<SparseAutoencoder> saes, IActivationSource source, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var options = _options;
        var batchSize = options.BatchSize;
        var batch = Matrix.CreateAligned(batchSize, source.Dimension);
        var stopwatch = Stopwatch.StartNew();
        var cancelled = false;
        var exhausted = false;
        var checkpointedStep = run.StepsDone;
        var firstStep = run.StepsDone;
        (double Loss, float LearningRate, Dictionary<string, double> RegularizerLosses)? lastStep = null;
        TrainingProgress? last = null;
        while (run.StepsDone < run.TotalSteps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
                if (options.Checkpoints is { OnCancellation: true } && run.StepsDone > checkpointedStep)
                {
                    CheckpointStore.Write(run, options, _regularizers, _noiser);
                }

                break;
            }

            var read = source.Read(batch);
            if (read < 0 || read > batchSize)
            {
                throw new InvalidOperationException(
                    $"The source {source.GetType().Name} returned {read} rows for a batch of {batchSize}; IActivationSource.Read returns between 0 and the destination's row count. Nothing of step {run.StepsDone} was trained.");
            }

            if (read < batchSize)
            {
                if (run.StepsDone == firstStep)
                {
                    throw new InvalidOperationException(
                        $"The source yielded {read} rows and then ended, but one step needs BatchSize = {batchSize} rows; nothing was trained. Give the source more rows, make it loop, or lower BatchSize.");
                }

                exhausted = true;
                break;
            }

            var batchMaxMagnitude = ValidateBatch(batch, run.StepsDone);
            float[][]? biasesBefore = null;
            if (run.StepsDone == 0 && options.DecoderBiasInitialization != DecoderBiasInitialization.None)
            {
                // Setting b_dec from the first batch is part of step 0: if the step fails, b_dec is put back.
                biasesBefore = [.. saes.Select(sae => sae.DecoderBias.ToArray())];
                foreach (var sae in saes)
                {
                    sae.InitializeDecoderBias(batch, options.DecoderBiasInitialization);
                }
            }

            (double Loss, float LearningRate, Dictionary<string, double> RegularizerLosses) outcome;
            try
            {
                outcome = run.Step(batch, batchMaxMagnitude);
            }
            catch when (biasesBefore is not null)
            {
                for (var i = 0; i < saes.Count; i++)
                {
                    biasesBefore[i].CopyTo(saes[i].DecoderBias.Span);
                }

                throw;
            }

            var (loss, learningRate, regularizerLosses) = outcome;
            lastStep = outcome;
            var isLast = run.StepsDone == run.TotalSteps;
            if (isLast || (progress is not null && (run.StepsDone % options.ProgressIntervalSteps == 0 || run.HasUnreportedReinitializations)))
            {
                last = run.Report(stopwatch.Elapsed, learningRate, loss, regularizerLosses);
                progress?.Report(last);
            }

            if (options.Checkpoints is { } checkpoints && run.StepsDone % checkpoints.IntervalSteps == 0)
            {
                CheckpointStore.Write(run, options, _regularizers, _noiser);
                checkpointedStep = run.StepsDone;
            }
        }

        if (lastStep is { } final && last?.Step != run.StepsDone)
        {
            // A run that ends early (cancelled, or the source ran out) still reports its last completed step.
            last = run.Report(stopwatch.Elapsed, final.LearningRate, final.Loss, final.RegularizerLosses);
        }

        return new TrainingResult(run.StepsDone, run.Tokens, stopwatch.Elapsed, cancelled, exhausted, last, [.. run.Reinitializations]);
    }

    /// <summary>
    /// The loss of <paramref name="batch"/> and the exact gradient of every parameter, for one SAE, without changing
    /// it: for gradient checks, custom optimizers and attribution.
    /// </summary>
    /// <param name="sae">The SAE; only read.</param>
    /// <param name="batch">Rows of width sae.InputDimension, finite.</param>
    /// <returns>The loss (reconstruction plus this trainer's regularizers and denoising term) and the gradients.</returns>
    /// <exception cref="ArgumentException">A width differs, a weight or an input is not finite, or a regularizer refuses the SAE.</exception>
    public BatchGradients ComputeGradients(SparseAutoencoder sae, Matrix batch)
    {
        ArgumentNullException.ThrowIfNull(sae);
        return ComputeGradients([sae], batch);
    }

    /// <summary>
    /// The loss of <paramref name="batch"/> for several SAEs trained together and the exact gradient of every parameter
    /// of each, with this trainer's regularizers (e.g. MFR across the SAEs) and noiser, as the first step of a run would
    /// compute them, without changing any SAE. The regularizers are reset first (as at the start of a run); no latent
    /// counts as dead.
    /// </summary>
    /// <param name="saes">Distinct SAEs of one input dimension; only read.</param>
    /// <param name="batch">Rows of that width, finite.</param>
    /// <returns>The loss and the gradients, in the order of <paramref name="saes"/>.</returns>
    /// <exception cref="ArgumentException">No SAE, a repeated SAE, a width that differs, a non-finite weight or input, or a regularizer that refuses the SAEs.</exception>
    public BatchGradients ComputeGradients(IReadOnlyList<SparseAutoencoder> saes, Matrix batch) => ComputeGradients(saes, batch, null);

    /// <summary><see cref="ComputeGradients(IReadOnlyList{SparseAutoencoder}, Matrix)"/> with each SAE's firing history (null: no latent is dead).</summary>
    internal BatchGradients ComputeGradients(IReadOnlyList<SparseAutoencoder> saes, Matrix batch, long[][]? tokensSinceFired)
    {
        ArgumentNullException.ThrowIfNull(saes);
        ArgumentNullException.ThrowIfNull(batch);
        ValidateModels(saes, batch.Columns, rows: null);
        if (batch.Rows == 0)
        {
            throw new ArgumentException("The batch has no rows.", nameof(batch));
        }

        ValidateBatch(batch, 0);
        var run = new TrainingRun(saes, _options, _regularizers, _deadSelection, _noiser, batch.Rows);
        if (tokensSinceFired is not null)
        {
            for (var i = 0; i < run.States.Length; i++)
            {
                tokensSinceFired[i].CopyTo(run.States[i].TokensSinceFired, 0);
            }
        }

        var (loss, regularizerLosses) = run.ForwardBackward(batch);
        return new BatchGradients(loss, regularizerLosses, [.. run.States.Select(s => s.Gradients)]);
    }

    /// <summary>Starts a run for benchmarks and tools that drive steps themselves.</summary>
    internal TrainingRun StartRun(IReadOnlyList<SparseAutoencoder> saes, int batchRows) => new(saes, _options, _regularizers, _deadSelection, _noiser, batchRows);

    /// <summary>Checks the SAEs against the data's width and, when the data is bounded, its row count; then lets each regularizer check them.</summary>
    private void ValidateModels(IReadOnlyList<SparseAutoencoder> saes, int dimension, long? rows)
    {
        if (saes.Count == 0)
        {
            throw new ArgumentException("No SAE to train: pass at least one.", nameof(saes));
        }

        for (var i = 0; i < saes.Count; i++)
        {
            var sae = saes[i] ?? throw new ArgumentException($"SAE {i} is null.", nameof(saes));
            if (sae.InputDimension != dimension)
            {
                throw new ArgumentException($"SAE {i} has input dimension {sae.InputDimension} but the data's rows have {dimension} columns.", nameof(saes));
            }

            for (var j = 0; j < i; j++)
            {
                if (ReferenceEquals(saes[j], sae))
                {
                    throw new ArgumentException($"SAEs {j} and {i} are the same instance; pass distinct SAEs.", nameof(saes));
                }
            }
        }

        if (rows is { } length && length < _options.BatchSize)
        {
            throw new ArgumentException($"The source holds {length} rows but one step needs BatchSize = {_options.BatchSize}; nothing was trained.", "source");
        }

        foreach (var regularizer in _regularizers)
        {
            regularizer.Validate(saes);
        }
    }

    /// <summary>Throws unless every entry of the batch is finite; returns max |x| (one vectorised pass, NaN-propagating).</summary>
    private static double ValidateBatch(Matrix batch, long step)
    {
        var largest = batch.Span.Length == 0 ? 0 : Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(batch.Span));
        var position = float.IsFinite(largest) ? -1 : FiniteCheck.FirstNonFinite(batch.Span);
        if (position >= 0)
        {
            var d = batch.Columns;
            throw new InvalidDataException(
                $"The batch of step {step} holds {batch.Span[position]} at row {position / d}, column {position % d}; training inputs must be finite. The SAEs keep the weights of the previous step.");
        }

        return largest;
    }
}
