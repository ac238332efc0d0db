using FastInfer.Kernels.Memory;
using System.IO.MemoryMappedFiles;

namespace FastInfer.Engine.Formats;

/// <summary>
/// A whole file mapped read-only with one acquired pointer, so tensor views can point straight into it.
/// Readers must check every offset against <see cref="Length"/> before dereferencing.
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _pointer;

    private MappedFile(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read);
        Length = stream.Length;
        // An empty file cannot be mapped; readers report it as truncated instead.
        if (Length == 0)
            return;
        _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _pointer = p + _view.PointerOffset;
    }

    public static MappedFile Open(string path) => new(path);

    public string Path { get; }

    public long Length { get; }

    public nint Pointer => (nint)_pointer;

    /// <summary>The bytes [offset, offset+count); callers have already checked the range.</summary>
    public ReadOnlySpan<byte> Span(long offset, int count) => new(_pointer + offset, count);

    /// <summary>
    /// Drops this process's mapping of the whole pages inside [address, address + length) (madvise MADV_DONTNEED: on a
    /// shared read-only file mapping the contents stay as they are, and the next read maps the page again). Ranges
    /// outside the mapping are ignored.
    /// </summary>
    public void ReleasePages(nint address, long length)
    {
        const long page = 4096;
        long start = (long)address, end = start + length, mapped = (long)_pointer;
        if (_pointer == null || start < mapped || end > mapped + Length)
            return;
        long first = (start + page - 1) & ~(page - 1), last = end & ~(page - 1);
        if (last > first)
            MemoryAdvice.ReleaseFilePages((nint)first, last - first);
    }

    public void Dispose()
    {
        if (_pointer != null)
        {
            _pointer = null;
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        _view?.Dispose();
        _map?.Dispose();
    }
}
