namespace FastInfer.Engine.Models;

/// <summary>
/// Reads one byte of every 4 KiB page of a range, so the pages of a file mapping are mapped into the process before
/// the hot path reads them. The token embedding stays in the mapping (decode reads one row of it per token), and on
/// this project's machine the first read of a row cost 80–150 µs (a page fault) against about 2 µs once mapped, in
/// almost every decoded token of tinyllama; touching all its pages once at load took 55–65 ms for a 70 MB Q8_0 table.
/// </summary>
internal static unsafe class PageTouch
{
    private const long PageBytes = 4096;

    /// <summary>Touches every page that [<paramref name="start"/>, start + <paramref name="length"/>) overlaps; returns how many.</summary>
    public static long Run(byte* start, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0)
            return 0;
        long first = (long)start & ~(PageBytes - 1), end = (long)start + length;
        long pages = 0;
        for (long page = first; page < end; page += PageBytes)
        {
            // Inside the range: the first page from start itself, the others from their page boundary.
            Volatile.Read(ref *(byte*)Math.Max(page, (long)start));
            pages++;
        }
        return pages;
    }
}
