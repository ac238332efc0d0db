using System.Runtime.InteropServices;
using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Engine.Formats.HuggingFace;

/// <summary>
/// F32 copies of norm weights that a checkpoint stores as F16 or BF16. The model's RMSNorm multiplies by an F32
/// vector read in place, and HF checkpoints usually save everything in the training dtype; converting these few
/// small vectors once at load is cheaper and simpler than a half-precision norm kernel. Big matrices are never
/// copied. The copies live in native memory so the views behave like the mapped ones, and are freed on dispose.
/// </summary>
internal sealed unsafe class NormVectorsF32 : IDisposable
{
    private readonly List<nint> _allocations = [];

    /// <summary>An F32 copy of an F16/BF16 vector, under the same name and shape.</summary>
    public TensorView Convert(TensorView source)
    {
        if (source.Type is not (GgmlType.F16 or GgmlType.BF16))
            throw new ArgumentException($"tensor '{source.Name}' is {source.Type}; only F16 and BF16 norms are converted", nameof(source));
        int count = checked((int)source.ElementCount);
        var halves = new ReadOnlySpan<ushort>((void*)source.Data, count);
        long bytes = count * (long)sizeof(float);
        nint data = (nint)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 64);
        _allocations.Add(data);
        var floats = new Span<float>((void*)data, count);
        for (int i = 0; i < count; i++)
            floats[i] = source.Type == GgmlType.F16 ? Fp16.HalfToFloat(halves[i]) : Fp16.BFloat16ToFloat(halves[i]);
        return source with { Type = GgmlType.F32, Data = data, ByteLength = bytes };
    }

    public void Dispose()
    {
        foreach (var p in _allocations)
            NativeMemory.AlignedFree((void*)p);
        _allocations.Clear();
    }
}
