
namespace SparseDictionary;

/// <summary>A stream of input rows (model activations or any float vectors) for training or evaluating SAEs.</summary>
/// <remarks>
/// The trainer calls <see cref="Reset"/> once at the start of a run and then <see cref="Read"/> for each batch, so two
/// runs over the same source see the same rows in the same order.
/// </remarks>
public interface IActivationSource
{
    /// <summary>Width d of every row.</summary>
    int Dimension { get; }

    /// <summary>Rows the source yields before it is exhausted, or null when it is unbounded.</summary>
    long? Length { get; }

    /// <summary>Fills the first rows of <paramref name="destination"/> with the next rows of the stream.</summary>
    /// <param name="destination">A matrix with <see cref="Dimension"/> columns; up to destination.Rows rows are written.</param>
    /// <returns>The number of rows written: destination.Rows, fewer at the end of the stream, 0 once it is exhausted.</returns>
    int Read(Matrix destination);

    /// <summary>Rewinds to the first row, so that the following reads repeat the stream from the beginning.</summary>
    void Reset();
}
