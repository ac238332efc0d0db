using System.Runtime.CompilerServices;
using FastInfer.Engine.Models;

namespace FastInfer.Engine.Tests.Models;

/// <summary><see cref="KvCache"/> keeps its rows in native memory: each layer's keys and values apart, and freed once dropped.</summary>
public class KvCacheTests
{
    private static readonly LlamaConfig Config = new()
    {
        EmbeddingLength = 64, FeedForwardLength = 96, BlockCount = 3, HeadCount = 8, KvHeadCount = 2,
        VocabularySize = 50, ContextLength = 40, RopeTheta = 10000,
    };

    [Fact]
    public void EveryRowHoldsWhatWasWrittenToIt()
    {
        var cache = new KvCache(Config, 40);
        Assert.Equal(2L * 3 * 40 * Config.KvDimension * sizeof(float), cache.ByteSize);
        for (int layer = 0; layer < 3; layer++)
            for (int position = 0; position < 40; position++)
            {
                cache.KeyRow(layer, position).Fill(Code(layer, position, 0));
                cache.ValueRow(layer, position).Fill(Code(layer, position, 1));
            }
        for (int layer = 0; layer < 3; layer++)
        {
            Assert.Equal(40 * cache.RowLength, cache.Keys(layer).Length);
            for (int position = 0; position < 40; position++)
            {
                Assert.All(cache.Keys(layer).Slice(position * cache.RowLength, cache.RowLength).ToArray(), v => Assert.Equal(Code(layer, position, 0), v));
                Assert.All(cache.Values(layer).Slice(position * cache.RowLength, cache.RowLength).ToArray(), v => Assert.Equal(Code(layer, position, 1), v));
            }
        }
    }

    [Fact]
    public void RowsOutsideTheCacheAreRefused()
    {
        var cache = new KvCache(Config, 40);
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Keys(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Values(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.KeyRow(0, 40));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvCache(Config, 0));
    }

    [Fact]
    public void AHalfCacheTakesHalfTheBytesAndRoundsEachValueToTheNearestHalf()
    {
        var cache = new KvCache(Config, 40, KvCacheType.F16);
        Assert.Equal(KvCacheType.F16, cache.Type);
        Assert.Equal(2L * 3 * 40 * Config.KvDimension * sizeof(ushort), cache.ByteSize);
        Assert.Equal(2L * 3 * Config.KvDimension * sizeof(ushort), KvCache.BytesPerPosition(Config, KvCacheType.F16));
        Assert.Equal(2L * 3 * Config.KvDimension * sizeof(float), KvCache.BytesPerPosition(Config, KvCacheType.F32));
        int row = cache.RowLength;
        // Two rows at positions 38 and 39 of layer 2: values a half cannot hold exactly, ties, the largest half's
        // neighbourhood (65519 rounds down to 65504, 65520 up to infinity), a subnormal, and NaN.
        float[] special = [1f / 3, -2.7182817f, 1 + 1f / 2048, 1 + 3f / 2048, 65519, 65520, -1e6f, 3e-6f, float.NaN, 0, -0f];
        var keys = new float[2 * row];
        var values = new float[2 * row];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = i < special.Length ? special[i] : 0.01f * i - 1;
            values[i] = -keys[i] * 7;
        }
        cache.Store(2, 38, keys, values);
        var storedKeys = cache.HalfKeys(2).Slice(38 * row, 2 * row);
        var storedValues = cache.HalfValues(2).Slice(38 * row, 2 * row);
        for (int i = 0; i < keys.Length; i++)
        {
            Assert.Equal(BitConverter.HalfToUInt16Bits((Half)keys[i]), BitConverter.HalfToUInt16Bits(storedKeys[i]));
            Assert.Equal(BitConverter.HalfToUInt16Bits((Half)values[i]), BitConverter.HalfToUInt16Bits(storedValues[i]));
        }
        Assert.Equal((Half)65504, storedKeys[4]);
        Assert.Equal(Half.PositiveInfinity, storedKeys[5]);
        Assert.Equal((Half)1, storedKeys[2]); // a tie goes to the even neighbour
        Assert.Equal((Half)(1 + 4f / 2048), storedKeys[3]);
    }

    [Fact]
    public void EachPrecisionIsReadOnlyAsItselfAndStoresStayInside()
    {
        var single = new KvCache(Config, 40);
        var half = new KvCache(Config, 40, KvCacheType.F16);
        Assert.Throws<InvalidOperationException>(() => single.HalfKeys(0));
        Assert.Throws<InvalidOperationException>(() => half.Keys(0));
        Assert.Throws<InvalidOperationException>(() => half.ValueRow(1, 3));
        var row = new float[Config.KvDimension];
        Assert.Throws<ArgumentOutOfRangeException>(() => half.Store(0, 40, row, row));
        Assert.Throws<ArgumentOutOfRangeException>(() => half.Store(0, -1, row, row));
        Assert.Throws<ArgumentOutOfRangeException>(() => half.Store(3, 0, row, row));
        Assert.Throws<ArgumentException>(() => half.Store(0, 0, row, row.AsSpan(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvCache(Config, 40, (KvCacheType)7));
        single.Store(1, 39, row.Select((_, i) => (float)i).ToArray(), row);
        Assert.Equal(5f, single.KeyRow(1, 39)[5]);
    }

    [Fact]
    public void ADroppedCacheIsCollected()
    {
        var dropped = Drop();
        for (int i = 0; i < 3 && dropped.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(dropped.IsAlive);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference Drop()
    {
        var cache = new KvCache(Config, 40);
        cache.KeyRow(2, 39).Fill(1);
        return new WeakReference(cache);
    }

    private static float Code(int layer, int position, int part) => 1000 * layer + 2 * position + part;
}
