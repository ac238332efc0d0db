using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastInfer.Kernels.Ops;

/// <summary>
/// Per-thread, grow-only, pinned, 64-byte aligned buffers for the matrix kernels' packed tiles, so repeated calls
/// allocate nothing. Each pool worker has its own; the caller's thread has its own.
/// </summary>
internal static unsafe class MatMulScratch
{
    private const int Slots = 4;
    [ThreadStatic] private static byte[]?[]? t_buffers;

    /// <summary>Buffer <paramref name="slot"/> (0..3) of at least <paramref name="bytes"/> bytes, valid until this thread asks for the slot again.</summary>
    public static byte* Get(int slot, long bytes)
    {
        var buffers = t_buffers ??= new byte[]?[Slots];
        ref var buffer = ref buffers[slot];
        if (buffer == null || buffer.Length < bytes + 64)
            buffer = GC.AllocateUninitializedArray<byte>(checked((int)Math.Max(bytes + 64, 4096)), pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (byte*)((start + 63) & ~(nint)63);
    }
}
