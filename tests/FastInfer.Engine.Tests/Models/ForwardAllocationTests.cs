using FastInfer.Engine.Models;
using FastInfer.Kernels.Threading;

namespace FastInfer.Engine.Tests.Models;

/// <summary>Decoding allocates nothing per token: buffers live in the state, scratch in the kernels, jobs on the stack.</summary>
public class ForwardAllocationTests
{
    private static LlamaConfig Dense() => new()
    {
        EmbeddingLength = 64, FeedForwardLength = 96, BlockCount = 2, HeadCount = 8, KvHeadCount = 2,
        VocabularySize = 50, ContextLength = 256, RopeTheta = 10000,
    };

    [Theory]
    [InlineData(false, 1, KvCacheType.F32)]
    [InlineData(false, 2, KvCacheType.F32)]
    [InlineData(true, 2, KvCacheType.F32)]
    [InlineData(false, 2, KvCacheType.F16)]
    public void HundredDecodedTokensAllocateNothing(bool mixtureOfExperts, int threads, KvCacheType cacheType)
    {
        var config = mixtureOfExperts ? Dense() with { ExpertCount = 4, ExpertUsedCount = 2, FeedForwardLength = 48 } : Dense();
        var (source, _) = RandomModel.Create(config, seed: 5);
        using (source)
        using (var pool = new ComputePool(threads))
        {
            var transformer = new LlamaTransformer(LlamaWeights.Bind(source, config), config.ContextLength, pool, cacheType);
            var state = transformer.CreateState(config.ContextLength);
            // The first calls may grow per-thread scratch, run static constructors and tier up the JIT's code (its call
            // counting installs stubs after 30 calls); the steady state may not allocate.
            transformer.Prefill(state, [1, 2, 3, 4], 0);
            for (int position = 4; position < 100; position++)
                transformer.Forward(state, position % config.VocabularySize, position);

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int position = 100; position < 200; position++)
                transformer.Forward(state, position % config.VocabularySize, position);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Equal(0, allocated);
        }
    }
}
