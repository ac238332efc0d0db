using FastInfer.Kernels.Memory;

namespace FastInfer.Engine.Models;

/// <summary>
/// Keys and values of every position seen so far, per layer: one row of KvHeadCount × HeadDimension
/// values per position, in single or half precision (<see cref="KvCacheType"/>). Made once per session for its whole
/// context, so decoding never allocates.
/// </summary>
/// <remarks>
/// The rows live in native memory on 2 MiB pages where Linux grants them (<see cref="HugePageMemory"/>): decode
/// attention reads every cached row once per token, each KV head's slice a whole row apart from the next position's,
/// and on 4 KiB pages nearly every slice costs a TLB miss. After a 1084-token prompt, tinyllama-1.1b decoded 128 tokens
/// at 62.7–65.8 tok/s (Q4_0) and 41.9–48.8 (Q4_K_M, five runs of six at 46.5 or more) against 53.3–58.7 and 40.5–44.2
/// with a managed array, its prompt as fast (`fastinfer generate`, two threads, builds alternated). A row is always
/// written before attention reads it, so the memory is not cleared: its pages are committed as the context fills, 2 MiB
/// at a time per layer's keys or values (tinyllama's whole 88 MiB cache after a short prompt: a working set of 744 MiB
/// instead of 660). It is freed by a finalizer once the cache is
/// unreachable, never earlier: the rows are only handed out as spans inside the engine, whose forward passes keep their
/// state alive until they return, so no span can outlive them.
/// </remarks>
public sealed unsafe class KvCache
{
    private readonly Rows _rows;
    private readonly int _layers;
    private readonly long _layerElements;

    public KvCache(LlamaConfig config, int contextLength, KvCacheType type = KvCacheType.F32)
    {
        if (contextLength <= 0)
            throw new ArgumentOutOfRangeException(nameof(contextLength), "context length must be positive");
        if (!Enum.IsDefined(type))
            throw new ArgumentOutOfRangeException(nameof(type), $"KV cache type {(int)type} is neither F32 nor F16");
        ContextLength = contextLength;
        RowLength = config.KvDimension;
        Type = type;
        _layers = config.BlockCount;
        _layerElements = (long)contextLength * RowLength;
        if (_layerElements > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(contextLength), $"a context of {contextLength} tokens is too large for one layer's cache");
        _rows = new Rows(ByteSize);
    }

    public int ContextLength { get; }
    public int RowLength { get; }
    public KvCacheType Type { get; }

    /// <summary>Bytes one stored key or value takes.</summary>
    public int ElementBytes => ElementBytesOf(Type);

    /// <summary>Bytes the cache holds (both K and V, all layers).</summary>
    public long ByteSize => ContextLength * BytesPerPosition(_layers, RowLength, Type);

    /// <summary>Bytes one cached position takes in a model of <paramref name="config"/>'s shape: its key and value rows in every layer.</summary>
    public static long BytesPerPosition(LlamaConfig config, KvCacheType type) => BytesPerPosition(config.BlockCount, config.KvDimension, type);

    private static long BytesPerPosition(int layers, int rowLength, KvCacheType type) => 2L * layers * rowLength * ElementBytesOf(type);

    private static int ElementBytesOf(KvCacheType type) => type == KvCacheType.F16 ? sizeof(ushort) : sizeof(float);

    // Single-precision caches: the forward pass writes its rows in place.
    internal Span<float> Keys(int layer) => new(Layer(layer, 0, KvCacheType.F32), (int)_layerElements);
    internal Span<float> Values(int layer) => new(Layer(layer, 1, KvCacheType.F32), (int)_layerElements);
    internal Span<float> KeyRow(int layer, int position) => Keys(layer).Slice(position * RowLength, RowLength);
    internal Span<float> ValueRow(int layer, int position) => Values(layer).Slice(position * RowLength, RowLength);

    // Half-precision caches: rows are stored through Store.
    internal Span<Half> HalfKeys(int layer) => new(Layer(layer, 0, KvCacheType.F16), (int)_layerElements);
    internal Span<Half> HalfValues(int layer) => new(Layer(layer, 1, KvCacheType.F16), (int)_layerElements);

    /// <summary>
    /// Rows [<paramref name="position"/>, + count) of <paramref name="layer"/> from single-precision keys and values
    /// (count × <see cref="RowLength"/> each): copied, or for a half cache each rounded to the nearest half.
    /// </summary>
    internal void Store(int layer, int position, ReadOnlySpan<float> keys, ReadOnlySpan<float> values)
    {
        if (keys.Length != values.Length || keys.Length % RowLength != 0)
            throw new ArgumentException($"keys ({keys.Length}) and values ({values.Length}) must be the same whole number of {RowLength}-value rows");
        int count = keys.Length / RowLength;
        if (position < 0 || count > ContextLength - position)
            throw new ArgumentOutOfRangeException(nameof(position), $"rows {position}..{position + count - 1} are outside a {ContextLength}-position cache");
        int start = position * RowLength;
        if (Type == KvCacheType.F32)
        {
            keys.CopyTo(Keys(layer).Slice(start, keys.Length));
            values.CopyTo(Values(layer).Slice(start, values.Length));
            return;
        }
        ToHalf(keys, HalfKeys(layer).Slice(start, keys.Length));
        ToHalf(values, HalfValues(layer).Slice(start, values.Length));
    }

    private static void ToHalf(ReadOnlySpan<float> source, Span<Half> destination)
    {
        for (int i = 0; i < source.Length; i++)
            destination[i] = (Half)source[i];
    }

    /// <summary>Layer <paramref name="layer"/>'s keys (<paramref name="part"/> 0) or values (1), for a cache of <paramref name="type"/>.</summary>
    private byte* Layer(int layer, int part, KvCacheType type)
    {
        if ((uint)layer >= (uint)_layers)
            throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} of a {_layers}-layer cache");
        if (type != Type)
            throw new InvalidOperationException($"this KV cache holds {Type} rows, not {type}");
        return _rows.Start + (2L * layer + part) * _layerElements * ElementBytes;
    }

    /// <summary>The native block, freed by its finalizer.</summary>
    private sealed class Rows
    {
        private readonly long _bytes;
        private readonly nint _start;

        public Rows(long bytes)
        {
            _bytes = bytes;
            _start = (nint)HugePageMemory.Allocate(bytes);
            // The collector sees only this small object; the pressure makes it collect as often as the memory deserves.
            GC.AddMemoryPressure(bytes);
        }

        public byte* Start => (byte*)_start;

        ~Rows()
        {
            HugePageMemory.Free((byte*)_start);
            GC.RemoveMemoryPressure(_bytes);
        }
    }
}
