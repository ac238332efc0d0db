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
