using SparseDictionary.IO;

namespace SparseDictionary;

/// <summary>
/// Serves the rows of one 2-D tensor of a safetensors file, out of core: the file is memory-mapped and each row is
/// copied from the mapping into the caller's batch (F32 as it is, F16, BF16 and F64 converted to float32 row by row),
/// so the tensor is never loaded into managed memory.
/// </summary>
/// <remarks>
/// The stream has the semantics of an <see cref="NpyActivationSource"/> over a single shard: rows in order, or with
/// <c>shuffle</c> in a permutation drawn from (seed, epoch) anew each epoch, for one pass or looping. Given the same rows
/// and seed, both sources serve the same stream. <see cref="Seek"/> is O(1), and a shuffled epoch draws its permutation
/// (4 bytes per row) when its first row is read. For a tensor larger than the memory, shuffled reads are random reads of
/// the mapping, fast only while the tensor fits in the page cache. <see cref="Dispose"/> unmaps the file.
/// </remarks>
public sealed class SafeTensorsActivationSource : ISeekableActivationSource, IDisposable
{
    private readonly SafeTensorsFile _file;
    private readonly SafeTensorsDataType _type;
    private readonly long _offset;
    private readonly long _rowBytes;
    private readonly ShardCursor _cursor;
    private bool _disposed;

    /// <summary>Opens <paramref name="path"/> and serves the rows of its tensor <paramref name="tensorName"/>.</summary>
    /// <param name="path">A safetensors file.</param>
    /// <param name="tensorName">A 2-D tensor [rows, columns] of type F32, F16, BF16 or F64, with at least one row and one column.</param>
    /// <param name="shuffle">Serve each epoch in a new seeded random order.</param>
    /// <param name="loop">Start a new epoch when one ends (an unbounded source); otherwise the source ends after one pass.</param>
    /// <param name="seed">Seed of the shuffling.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    /// <exception cref="InvalidDataException">The file is invalid, or the tensor is not a non-empty 2-D floating-point tensor; the message names the path.</exception>
    public SafeTensorsActivationSource(string path, string tensorName, bool shuffle = false, bool loop = true, int seed = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensorName);
        _file = SafeTensorsFile.Open(path);
        try
        {
            var info = _file.GetInfo(tensorName);
            if (info.DataType is not (SafeTensorsDataType.F32 or SafeTensorsDataType.F16 or SafeTensorsDataType.BF16 or SafeTensorsDataType.F64))
            {
                throw new InvalidDataException($"Tensor '{tensorName}' of {path} is {info.DataType}; a source reads F32, F16, BF16 or F64.");
            }

            if (info.Shape.Count != 2 || info.Shape[0] == 0 || info.Shape[1] == 0 || info.Shape[1] > int.MaxValue)
            {
                throw new InvalidDataException($"Tensor '{tensorName}' of {path} has shape {info.ShapeText}; a source needs a 2-D tensor [rows, columns] with at least one row and 1 to {int.MaxValue} columns.");
            }

            _type = info.DataType;
            _offset = _file.FileOffset(info);
            Dimension = (int)info.Shape[1];
            _rowBytes = (long)Dimension * MappedFloats.ElementSize(_type);
            TensorName = tensorName;
            _cursor = new ShardCursor([info.Shape[0]], shuffle, loop, seed);
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    /// <summary>The file's path.</summary>
    public string Path => _file.Path;

    /// <summary>The name of the tensor served.</summary>
    public string TensorName { get; }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public long? Length => _cursor.Length;

    /// <summary>Rows per epoch (the tensor's first dimension).</summary>
    public long RowCount => _cursor.RowCount;

    /// <inheritdoc />
    public long Position => _cursor.Position;

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The source was disposed.</exception>
    public int Read(Matrix destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Columns != Dimension)
        {
            throw new ArgumentException($"The destination has {destination.Columns} columns but the rows of tensor '{TensorName}' of {Path} have {Dimension}.", nameof(destination));
        }

        var values = destination.Span;
        var written = 0;
        while (written < destination.Rows && _cursor.Next(destination.Rows - written, out _, out var row, out var count))
        {
            MappedFloats.Read(_file.Mapping, _offset + (row * _rowBytes), _type, values.Slice(written * Dimension, count * Dimension));
            written += count;
        }

        return written;
    }

    /// <inheritdoc />
    public void Seek(long position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _cursor.Seek(position);
    }

    /// <inheritdoc />
    public void Reset() => Seek(0);

    /// <summary>Unmaps the file; the source cannot be read afterwards.</summary>
    public void Dispose()
    {
        _disposed = true;
        _file.Dispose();
    }
}
