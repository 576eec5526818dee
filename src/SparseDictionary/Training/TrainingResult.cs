namespace SparseDictionary;

/// <summary>What a call to <see cref="SaeTrainer.Train(SparseAutoencoder, IActivationSource, IProgress{TrainingProgress}?, CancellationToken)"/> did.</summary>
/// <param name="Steps">Completed steps.</param>
/// <param name="Tokens">Tokens trained on.</param>
/// <param name="Elapsed">Wall-clock time of the run.</param>
/// <param name="Cancelled">True when the cancellation token stopped the run before its budget; the SAEs hold the weights of the last completed step.</param>
/// <param name="SourceExhausted">True when the source ran out of rows before the budget (only whole batches are trained on).</param>
/// <param name="LastProgress">The figures of the last completed step (also when the run was cancelled or its source ran out), or null if no step ran.</param>
/// <param name="Reinitializations">Every reinitialisation of the run, in order (empty without <see cref="SaeTrainerOptions.Reinitialization"/>).</param>
public sealed record TrainingResult(long Steps, long Tokens, TimeSpan Elapsed, bool Cancelled, bool SourceExhausted, TrainingProgress? LastProgress, IReadOnlyList<ReinitializationEvent> Reinitializations);
