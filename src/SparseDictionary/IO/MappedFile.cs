using System.Buffers;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace SparseDictionary.IO;

/// <summary>
/// A file mapped into memory copy-on-write: views of its bytes are handed out as <see cref="Memory{T}"/> of floats
/// without a copy, every view is bounds-checked against the file's length when it is made, and a write through a view
/// changes a private copy of that page, never the file.
/// </summary>
/// <remarks>
/// A view must not be used after the file is disposed: <see cref="FloatView"/>'s memory then throws
/// <see cref="ObjectDisposedException"/> when asked for a span, but a span taken before the dispose points at unmapped
/// pages. The readers that own a mapping say so in their docs.
/// </remarks>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _pointer;
    private bool _disposed;

    /// <summary>Maps <paramref name="path"/> for reading (an empty file maps to nothing and has length 0).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public MappedFile(string path)
    {
        Path = path;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        Length = stream.Length;
        if (Length == 0)
        {
            return;
        }

        _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.CopyOnWrite, HandleInheritability.None, leaveOpen: false);
        _view = _map.CreateViewAccessor(0, Length, MemoryMappedFileAccess.CopyOnWrite);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer + _view.PointerOffset;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>The file's length in bytes.</summary>
    public long Length { get; }

    /// <summary>The bytes [offset, offset + count) of the file.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the file.</exception>
    public ReadOnlySpan<byte> Bytes(long offset, int count)
    {
        CheckRange(offset, count, 1);
        return count == 0 ? [] : new ReadOnlySpan<byte>(_pointer + offset, count);
    }

    /// <summary>
    /// <paramref name="count"/> values of <typeparamref name="T"/> starting at byte <paramref name="offset"/>, read in place
    /// (no copy, no allocation). The offset need not be aligned to the size of <typeparamref name="T"/>: x64 and Arm64 load
    /// unaligned values.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the file.</exception>
    public ReadOnlySpan<T> Elements<T>(long offset, int count)
        where T : unmanaged
    {
        CheckRange(offset, count, sizeof(T));
        return count == 0 ? [] : new ReadOnlySpan<T>(_pointer + offset, count);
    }

    /// <summary>
    /// <paramref name="count"/> little-endian float32 values starting at byte <paramref name="offset"/>, as memory that
    /// reads the mapping in place (no copy). Writes through it stay in this process (copy-on-write).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the file.</exception>
    public Memory<float> FloatView(long offset, int count)
    {
        CheckRange(offset, count, sizeof(float));
        return count == 0 ? Memory<float>.Empty : new View(this, (float*)(_pointer + offset), count).Memory;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_pointer != null)
        {
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
            _pointer = null;
        }

        _view?.Dispose();
        _map?.Dispose();
    }

    private void CheckRange(long offset, int count, int elementSize)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (offset < 0 || count < 0 || offset > Length || (long)count * elementSize > Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Bytes [{offset}, {offset + ((long)count * elementSize)}) are outside {Path} ({Length} bytes).");
        }
    }

    /// <summary>A float view of the mapping; checks that the file is still mapped whenever a span is taken.</summary>
    private sealed class View(MappedFile owner, float* start, int length) : MemoryManager<float>
    {
        public override Span<float> GetSpan()
        {
            ObjectDisposedException.ThrowIf(owner._disposed, owner);
            return new Span<float>(start, length);
        }

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            ObjectDisposedException.ThrowIf(owner._disposed, owner);
            ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, length);
            return new MemoryHandle(start + elementIndex, default, this);
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
