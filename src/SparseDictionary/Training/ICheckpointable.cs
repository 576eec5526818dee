using System.Text.Json.Nodes;

namespace SparseDictionary;

/// <summary>
/// A training part (a regularizer or a noiser) whose behaviour depends on state it keeps between steps, and that can
/// save and restore that state so that a resumed run is bit-identical to an uninterrupted one.
/// </summary>
/// <remarks>
/// Parts that do not implement it are taken to be stateless between runs' steps apart from what
/// <c>Reset</c> sets up (their result at a step depends only on the step's inputs and the step index). The state is
/// stored in the checkpoint's JSON, so keep it small (e.g. MFR's partner indices, not buffers).
/// </remarks>
public interface ICheckpointable
{
    /// <summary>The part's state after the last completed step.</summary>
    /// <returns>A JSON object that <see cref="RestoreState"/> accepts.</returns>
    JsonObject CaptureState();

    /// <summary>Restores a state captured by <see cref="CaptureState"/> (called after the part's <c>Reset</c> at the start of a resumed run).</summary>
    /// <param name="state">The captured state.</param>
    /// <exception cref="InvalidDataException">The state is malformed or does not fit the run.</exception>
    void RestoreState(JsonObject state);
}
