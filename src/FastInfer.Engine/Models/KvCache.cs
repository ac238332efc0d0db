namespace FastInfer.Engine.Models;

/// <summary>
/// Keys and values of every position seen so far, per layer: one row of KvHeadCount × HeadDimension
/// floats per position. Made once per session for its whole context, so decoding never allocates.
/// </summary>
public sealed class KvCache
{
    private readonly float[][] _keys;
    private readonly float[][] _values;

    public KvCache(LlamaConfig config, int contextLength)
    {
        if (contextLength <= 0)
            throw new ArgumentOutOfRangeException(nameof(contextLength), "context length must be positive");
        ContextLength = contextLength;
        RowLength = config.KvDimension;
        long perLayer = (long)contextLength * RowLength;
        if (perLayer > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(contextLength), $"a context of {contextLength} tokens is too large for one layer's cache");
        _keys = new float[config.BlockCount][];
        _values = new float[config.BlockCount][];
        for (int l = 0; l < config.BlockCount; l++)
        {
            _keys[l] = new float[perLayer];
            _values[l] = new float[perLayer];
        }
    }

    public int ContextLength { get; }
    public int RowLength { get; }

    /// <summary>Bytes the cache holds (both K and V, all layers).</summary>
    public long ByteSize => 2L * _keys.Length * ContextLength * RowLength * sizeof(float);

    public Span<float> Keys(int layer) => _keys[layer];
    public Span<float> Values(int layer) => _values[layer];
    public Span<float> KeyRow(int layer, int position) => _keys[layer].AsSpan(position * RowLength, RowLength);
    public Span<float> ValueRow(int layer, int position) => _values[layer].AsSpan(position * RowLength, RowLength);
}
