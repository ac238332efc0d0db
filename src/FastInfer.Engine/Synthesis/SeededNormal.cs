namespace FastInfer.Engine.Synthesis;

/// <summary>
/// Approximately standard-normal numbers from a SplitMix64 stream, using only integer and exact float
/// arithmetic (a scaled sum of four 16-bit uniforms), so a seed gives the same bits on every machine and runtime.
/// </summary>
internal struct SeededNormal(ulong seed)
{
    // The sum of four uniforms on [0, 65535] has variance 4·(65536²−1)/12; this scales it to 1.
    private const float Scale = 1f / 37837.227f;
    private const float Center = 2 * 65535f;

    private ulong _state = seed;

    /// <summary>A stream seed from the model seed and a tensor name (FNV-1a), independent of tensor order.</summary>
    public static SeededNormal For(int seed, string name)
    {
        ulong hash = 14695981039346656037UL ^ (uint)seed;
        foreach (char c in name)
            hash = (hash ^ c) * 1099511628211UL;
        return new SeededNormal(hash);
    }

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public float Next()
    {
        ulong r = NextUInt64();
        uint sum = (uint)(r & 0xFFFF) + (uint)((r >> 16) & 0xFFFF) + (uint)((r >> 32) & 0xFFFF) + (uint)(r >> 48);
        return (sum - Center) * Scale;
    }

    /// <summary>Fills <paramref name="values"/> with <paramref name="mean"/> + <paramref name="std"/> × normal.</summary>
    public void Fill(Span<float> values, float mean, float std)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = mean + std * Next();
    }
}
