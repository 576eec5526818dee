namespace SparseDictionary;

/// <summary>
/// A source that can jump to any position of its stream, so that a resumed training run continues on exactly the rows
/// the interrupted run would have read next.
/// </summary>
/// <remarks>
/// The stream of a source is fixed by its construction (data, seed, shuffle): position p means "after p rows were read
/// since <see cref="IActivationSource.Reset"/>", and a source's shuffle state must be a function of that position.
/// Sources that do not implement this interface are resumed by reading and discarding rows.
/// </remarks>
public interface ISeekableActivationSource : IActivationSource
{
    /// <summary>Rows read since the last <see cref="IActivationSource.Reset"/>.</summary>
    long Position { get; }

    /// <summary>Positions the stream as if <paramref name="position"/> rows had been read since <see cref="IActivationSource.Reset"/>.</summary>
    /// <param name="position">Rows to skip from the start: at least 0, and at most <see cref="IActivationSource.Length"/> for a bounded source.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> is negative or past the end of a bounded source.</exception>
    void Seek(long position);
}
