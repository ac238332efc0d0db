using System.Runtime.InteropServices;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Packed;

namespace FastInfer.Lpu.Hardware;

/// <summary>
/// A weight matrix of a given type and shape in memory of its own, filled and laid out as the engine lays out a
/// loaded model's weights, for the probes to multiply. The memory is native, not the GC's: a token probe allocates
/// hundreds of megabytes, and pinned managed buffers would set off full collections that run on into the timings.
/// </summary>
internal sealed unsafe class SyntheticMatrix : IDisposable
{
    private const nuint Alignment = 64;
    /// <summary>The unpacked weights while <see cref="Matrix"/> points into them (a packed matrix has its own copy).</summary>
    private void* _source;
    private readonly PackedWeights? _packed;

    public SyntheticMatrix(GgmlType type, int rows, int columns)
    {
        if (rows < 1 || columns < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), $"a matrix of {rows} x {columns} weights");
        Bytes = rows * GgmlTypeTraits.RowBytes(type, columns);
        _source = NativeMemory.AlignedAlloc((nuint)Bytes, Alignment);
        // 0x11 in every byte is a small finite value for every block type (scales, halves, floats alike), and
        // writing it touches every page, so the probe reads real memory rather than the shared zero page.
        for (long offset = 0; offset < Bytes; offset += int.MaxValue)
            new Span<byte>((byte*)_source + offset, (int)Math.Min(int.MaxValue, Bytes - offset)).Fill(0x11);
        Matrix = new WeightMatrix((nint)_source, Bytes, type, rows, columns);
        // The engine (and so the device) packs Q4_0/Q8_0 at load for the AVX2/AVX-512 kernels; probe the same kernels.
        if (PackedWeights.IsReadOn(KernelIsa.Active, Matrix.Type) && PackedWeights.TryPack(Matrix, out _packed))
        {
            Matrix = _packed.Matrix;
            FreeSource();
        }
    }

    public WeightMatrix Matrix { get; }

    /// <summary>Bytes of the matrix as stored in the model file.</summary>
    public long Bytes { get; }

    public void Dispose()
    {
        _packed?.Dispose();
        FreeSource();
    }

    private void FreeSource()
    {
        NativeMemory.AlignedFree(_source);
        _source = null;
    }
}
