using System.Runtime.InteropServices;
using FastInfer.Engine.Formats;
using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Engine.Tests.Models;

/// <summary>Tensors in native memory under GGUF names, for forward-pass tests without a file.</summary>
internal sealed unsafe class InMemoryTensorSource : ITensorSource
{
    private readonly List<TensorView> _tensors = [];
    private readonly List<nint> _allocations = [];

    public IReadOnlyList<TensorView> Tensors => _tensors;

    public TensorView? Find(string name) => _tensors.FirstOrDefault(t => t.Name == name);

    /// <summary>Stores <paramref name="values"/> (ggml order dims) as <paramref name="type"/>.</summary>
    public void Add(string name, float[] values, GgmlType type, params long[] dims)
    {
        long bytes = GgmlTypeTraits.RowBytes(type, values.Length);
        nint data = (nint)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        _allocations.Add(data);
        Quantizer.Quantize(type, values, new Span<byte>((void*)data, (int)bytes));
        _tensors.Add(new TensorView(name, type, dims, data, bytes));
    }

    public void Dispose()
    {
        foreach (var p in _allocations)
            NativeMemory.AlignedFree((void*)p);
        _allocations.Clear();
    }
}
