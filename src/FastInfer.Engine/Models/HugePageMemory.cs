using System.Runtime.InteropServices;

namespace FastInfer.Engine.Models;

/// <summary>
/// Large native allocations aligned to 2 MiB and, on Linux, advised as transparent-huge-page candidates
/// (<c>madvise(MADV_HUGEPAGE)</c>, needed when the system's THP mode is "madvise"): weights streamed every token then
/// need one TLB entry per 2 MiB instead of one per 4 KiB.
/// </summary>
internal static unsafe class HugePageMemory
{
    public const long PageBytes = 2 << 20;

    /// <summary>Uninitialised memory of at least <paramref name="bytes"/> bytes; free it with <see cref="Free"/>.</summary>
    public static byte* Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        long rounded = (bytes + PageBytes - 1) & ~(PageBytes - 1);
        byte* memory = (byte*)NativeMemory.AlignedAlloc((nuint)rounded, (nuint)PageBytes);
        // Only a hint: where the kernel refuses (THP off, another OS) the memory is simply in small pages.
        MemoryAdvice.PreferHugePages((nint)memory, rounded);
        return memory;
    }

    public static void Free(byte* memory) => NativeMemory.AlignedFree(memory);
}
