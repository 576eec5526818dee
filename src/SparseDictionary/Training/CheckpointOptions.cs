namespace SparseDictionary;

/// <summary>
/// When and where <see cref="SaeTrainer"/> writes checkpoints of a run, from which
/// <see cref="SaeTrainer.Resume(TrainingCheckpoint, IActivationSource, IProgress{TrainingProgress}?, CancellationToken)"/>
/// continues it bit for bit.
/// </summary>
/// <remarks>
/// A checkpoint is a folder <c>step-NNNNNNNNNN</c> inside <see cref="Directory"/> (see <see cref="TrainingCheckpoint"/>).
/// It is written after every <see cref="IntervalSteps"/>-th step, and after the last completed step when the run is
/// cancelled. Each is written into a temporary folder, flushed to the disk and renamed into place, so a process killed
/// while writing leaves the earlier checkpoints loadable. Only the newest <see cref="Keep"/> are kept.
/// </remarks>
public sealed class CheckpointOptions
{
    /// <summary>The folder of the run's checkpoints; created when missing. Required.</summary>
    public string Directory { get; set; } = string.Empty;

    /// <summary>A checkpoint is written after every this many steps, at least 1. Default 1000.</summary>
    public int IntervalSteps { get; set; } = 1000;

    /// <summary>How many of the newest checkpoints are kept, at least 1. Default 3.</summary>
    public int Keep { get; set; } = 3;

    /// <summary>Whether a checkpoint is written when the run is cancelled (of the last completed step). Default true.</summary>
    public bool OnCancellation { get; set; } = true;

    /// <summary>A copy of these options.</summary>
    /// <returns>The copy.</returns>
    public CheckpointOptions Clone() => (CheckpointOptions)MemberwiseClone();
}
