using System.Runtime.InteropServices;

namespace FastInfer.Kernels.Memory;

/// <summary>
/// Native memory for weights that are streamed every token (packed copies, resident copies of mapped matrices), asked to
/// be backed by 2 MiB pages where Linux offers transparent huge pages only on request (the <c>madvise</c> mode): a
/// decode kernel walks hundreds of megabytes once per token, and with 4 KiB pages every 4 KiB of that stream costs a
/// TLB miss and a page walk that compete with the weight loads. The request is advisory: where it is refused (or on
/// another OS) the memory is ordinary pages and works the same.
/// </summary>
public static unsafe class HugePageMemory
{
    public const long HugePageBytes = 2L << 20;

    /// <summary>
    /// <paramref name="bytes"/> of uninitialized memory, 64-byte aligned, and huge-page aligned when at least one huge
    /// page long; free with <see cref="Free"/>. Only the whole huge pages inside the allocation are advised, so a small
    /// matrix or a tail never grows to a 2 MiB page of resident memory.
    /// </summary>
    public static byte* Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1);
        if (bytes < HugePageBytes)
            return (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        byte* memory = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, (nuint)HugePageBytes);
        MemoryAdvice.PreferHugePages((nint)memory, bytes & ~(HugePageBytes - 1));
        return memory;
    }

    public static void Free(byte* memory) => NativeMemory.AlignedFree(memory);
}
