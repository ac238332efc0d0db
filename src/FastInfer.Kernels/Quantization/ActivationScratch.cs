namespace FastInfer.Kernels.Quantization;

/// <summary>
/// Per-thread, grow-only, pinned buffers for quantized activations, so a token's matrix products allocate nothing
/// after the first call. Each calling thread owns its buffers; pool workers only read them while the caller waits.
/// </summary>
internal static unsafe class ActivationScratch
{
    [ThreadStatic] private static byte[]? t_buffer;
    [ThreadStatic] private static byte[]? t_second;

    /// <summary>At least <paramref name="bytes"/> bytes, valid until this thread's next call.</summary>
    public static byte* Get(long bytes) => Grow(ref t_buffer, bytes);

    /// <summary>A second buffer, independent of <see cref="Get"/> (for kernels that need two at once).</summary>
    public static byte* GetSecond(long bytes) => Grow(ref t_second, bytes);

    private static byte* Grow(ref byte[]? buffer, long bytes)
    {
        if (buffer == null || buffer.Length < bytes)
            buffer = GC.AllocateUninitializedArray<byte>(checked((int)Math.Max(bytes, 4096)), pinned: true);
        return (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(buffer));
    }
}
