using FastInfer.Engine.Models;
using FastInfer.Kernels.Threading;

namespace FastInfer.Engine.Tests.Models;

/// <summary>The forward pass over a half-precision KV cache (<see cref="KvCacheType.F16"/>); prefill against decode is in
/// <see cref="LlamaPrefillTests"/>.</summary>
public class HalfKvCacheTests
{
    private static LlamaConfig Config(string name) => new()
    {
        EmbeddingLength = 64, FeedForwardLength = 96, BlockCount = 2, HeadCount = 8, KvHeadCount = 2,
        VocabularySize = 50, ContextLength = 40, RopeTheta = 10000, SlidingWindow = name == "window" ? 5 : 0,
        ExpertCount = name == "moe" ? 4 : 0, ExpertUsedCount = name == "moe" ? 2 : 0,
    };

    private static readonly int[] Tokens = [1, 7, 7, 42, 3, 0, 49, 12, 5, 5, 8, 30, 17, 2, 44, 9, 21, 21, 6, 38];

    [Theory]
    [InlineData("dense")]
    [InlineData("window")]
    [InlineData("moe")]
    public void LogitsMatchTheReferenceWhoseCacheHoldsHalves(string name)
    {
        var config = Config(name);
        var (source, reference) = RandomModel.Create(config, seed: 5);
        reference.RoundsCacheToHalf = true;
        using (source)
        using (var pool = new ComputePool(2))
        {
            var (half, halfState, single, singleState) = BothCaches(source, config, pool);
            Assert.Equal(KvCacheType.F16, halfState.Cache.Type);
            double largestGap = 0;
            for (int position = 0; position < Tokens.Length; position++)
            {
                var logits = half.Forward(halfState, Tokens[position], position).ToArray();
                var singleLogits = single.Forward(singleState, Tokens[position], position).ToArray();
                var expected = reference.Forward(Tokens[position], position);
                double scale = expected.Max(Math.Abs);
                for (int i = 0; i < logits.Length; i++)
                {
                    Assert.True(Math.Abs(logits[i] - expected[i]) <= 1e-4 * scale,
                        $"{name}: position {position} logit {i}: {logits[i]} vs reference {expected[i]}");
                    largestGap = Math.Max(largestGap, Math.Abs(singleLogits[i] - expected[i]) / scale);
                }
            }
            // The rounding is visible: a single-precision cache is measurably further from this reference.
            Assert.True(largestGap > 1e-4, $"{name}: the F32 cache's logits are within {largestGap:E2} of the half reference");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheFirstLayersRowsAreTheSinglePrecisionRowsRounded(bool prefill)
    {
        // Layer 0's keys and values depend only on each token's embedding, so the two caches' rows must agree exactly.
        var config = Config("dense");
        var (source, _) = RandomModel.Create(config, seed: 9);
        using (source)
        using (var pool = new ComputePool(2))
        {
            var (half, halfState, single, singleState) = BothCaches(source, config, pool);
            if (prefill)
            {
                half.Prefill(halfState, Tokens, 0);
                single.Prefill(singleState, Tokens, 0);
            }
            else
                for (int position = 0; position < Tokens.Length; position++)
                {
                    half.Forward(halfState, Tokens[position], position);
                    single.Forward(singleState, Tokens[position], position);
                }
            int length = Tokens.Length * config.KvDimension;
            var keys = singleState.Cache.Keys(0)[..length].ToArray();
            var values = singleState.Cache.Values(0)[..length].ToArray();
            var halfKeys = halfState.Cache.HalfKeys(0)[..length].ToArray();
            var halfValues = halfState.Cache.HalfValues(0)[..length].ToArray();
            for (int i = 0; i < length; i++)
            {
                Assert.Equal((Half)keys[i], halfKeys[i]);
                Assert.Equal((Half)values[i], halfValues[i]);
            }
        }
    }

    /// <summary>The model's transformer and a fresh state over a half cache, and the same over a single-precision one.</summary>
    private static (LlamaTransformer Half, InferenceState HalfState, LlamaTransformer Single, InferenceState SingleState) BothCaches(
        InMemoryTensorSource source, LlamaConfig config, ComputePool pool)
    {
        var weights = LlamaWeights.Bind(source, config);
        var half = new LlamaTransformer(weights, config.ContextLength, pool, KvCacheType.F16);
        var single = new LlamaTransformer(weights, config.ContextLength, pool);
        return (half, half.CreateState(config.ContextLength), single, single.CreateState(config.ContextLength));
    }
}
