using System.Runtime.InteropServices;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Benchmarking;

/// <summary>
/// Identical copies of one random weight matrix at distinct addresses, used in turn, so that together they exceed the
/// last-level cache several times over and each call streams its weights from DRAM even when one matrix would fit.
/// Copies of a type with a packed layout are also packed (<see cref="PackedWeights"/>) when the active kernel path reads
/// it, as the engine does at load, so the kernels measured are the ones a model runs; the read pass then reads the packed
/// copies — the same memory, from the same huge-page allocator, as the kernel it is compared with.
/// </summary>
internal sealed unsafe class RotatingMatrices : IDisposable
{
    /// <summary>
    /// How many times the last-level cache the copies span together. Four was not enough here: the cache size is assumed
    /// (the guest hides it) and need not be all the cache the copies meet, and with copies spanning four times 32 MiB a
    /// read pass over them ran at 86–106 GB/s in `bench-kernels`, above what the 1 GiB read reaches from DRAM (75–80), so
    /// part of every call came from cache. At sixteen times the read pass over the copies ran at the 1 GiB rate, and the
    /// kernels' rates measured lower: Q8_0 45–49 GB/s instead of 76 and Q4_0 50–52 instead of 67–72 in the same runs.
    /// </summary>
    public const int CacheMultiple = 16;

    // Speed does not depend on the values, so a few distinct random rows are quantized and repeated: generating every
    // row of a 4096×11008 matrix would cost seconds of the runner's one-minute budget.
    private const int DistinctRows = 64;

    private readonly byte*[] _copies;
    private readonly PackedWeights?[] _packed;
    private readonly bool _owned;
    private int _next;
    private int _reads;

    /// <param name="arena">memory already touched (the runner reuses the 1 GiB bandwidth buffer, sparing seconds of page
    /// faults per row) to place the copies in, one after another; null to allocate them.</param>
    public RotatingMatrices(GgmlType type, int rows, int columns, int copies, int seed, byte* arena = null, long arenaBytes = 0)
    {
        if (!Quantizer.CanQuantizeTo(type))
            throw new NotSupportedException($"cannot generate {type} weights to measure");
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(copies, 1);
        Type = type;
        Rows = rows;
        Columns = columns;
        long rowBytes = GgmlTypeTraits.RowBytes(type, columns);
        MatrixBytes = rowBytes * rows;
        _copies = new byte*[copies];
        _packed = new PackedWeights?[copies];
        _owned = arena == null;
        long stride = (MatrixBytes + 4095) & ~4095L;
        if (!_owned && stride * copies > arenaBytes)
            throw new ArgumentException($"{copies} copies of {MatrixBytes} bytes do not fit the {arenaBytes}-byte arena");
        try
        {
            for (int c = 0; c < copies; c++)
                _copies[c] = _owned ? (byte*)NativeMemory.AlignedAlloc((nuint)MatrixBytes, 64) : arena + c * stride;
            var random = new Random(seed);
            var row = new float[columns];
            int distinct = Math.Min(rows, DistinctRows);
            for (int r = 0; r < distinct; r++)
            {
                for (int i = 0; i < columns; i++)
                    row[i] = random.NextSingle() * 2 - 1;
                Quantizer.Quantize(type, row, new Span<byte>(_copies[0] + r * rowBytes, checked((int)rowBytes)));
            }
            for (long done = distinct * rowBytes; done < MatrixBytes; done *= 2) // doubling copies of the filled prefix
                Buffer.MemoryCopy(_copies[0], _copies[0] + done, MatrixBytes - done, Math.Min(done, MatrixBytes - done));
            for (int c = 1; c < copies; c++)
                Buffer.MemoryCopy(_copies[0], _copies[c], MatrixBytes, MatrixBytes);
            if (PackedWeights.IsReadOn(KernelIsa.Active, type))
                for (int c = 0; c < copies; c++)
                    _packed[c] = PackedWeights.Pack(new WeightMatrix((nint)_copies[c], MatrixBytes, Type, Rows, Columns));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Copies needed for <paramref name="matrixBytes"/> each to span <see cref="CacheMultiple"/> caches of
    /// <paramref name="cacheBytes"/> (at least two, so consecutive calls never reuse an address).</summary>
    public static int CopiesToExceed(long cacheBytes, long matrixBytes)
        => (int)Math.Max(2, (CacheMultiple * cacheBytes + matrixBytes - 1) / matrixBytes);

    public GgmlType Type { get; }
    public int Rows { get; }
    public int Columns { get; }
    public long MatrixBytes { get; }
    public int Copies => _copies.Length;

    /// <summary>Copy <paramref name="index"/>.</summary>
    public WeightMatrix this[int index] => _packed[index]?.Matrix ?? new((nint)_copies[index], MatrixBytes, Type, Rows, Columns);

    /// <summary>True when the copies carry the packed layout the kernels read.</summary>
    public bool IsPacked => _packed[0] != null;

    /// <summary>The copy after the one returned last (cycling).</summary>
    public WeightMatrix Next()
    {
        var matrix = this[_next];
        _next = (_next + 1) % _copies.Length;
        return matrix;
    }

    /// <summary>A plain read pass over the next copy: the bandwidth the kernel could reach on the same memory. Successive
    /// calls alternate the two read patterns (<see cref="ReadPass.Alternate"/>), so the fastest call is the faster pattern's.</summary>
    public void ReadNext(ComputePool pool)
    {
        var matrix = Next();
        var pattern = ReadPass.Alternate(_reads++);
        var pass = matrix.IsPacked
            ? new ReadPass((void*)matrix.Packed.FirstGroup, _packed[0]!.ByteLength, pool.ThreadCount, pattern)
            : new ReadPass((void*)matrix.Data, MatrixBytes, pool.ThreadCount, pattern);
        pass.Run(pool);
    }

    public void Dispose()
    {
        for (int c = 0; c < _copies.Length; c++)
        {
            _packed[c]?.Dispose();
            _packed[c] = null;
            if (_owned && _copies[c] != null)
                NativeMemory.AlignedFree(_copies[c]);
            _copies[c] = null;
        }
    }
}
