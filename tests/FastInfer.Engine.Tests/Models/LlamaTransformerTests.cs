using FastInfer.Engine.Models;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Threading;

namespace FastInfer.Engine.Tests.Models;

/// <summary>The engine's forward pass against the naive double-precision reference on random weights.</summary>
public class LlamaTransformerTests
{
    private static LlamaConfig Dense(RopeLayout layout = RopeLayout.Interleaved, int window = 0) => new()
    {
        EmbeddingLength = 64, FeedForwardLength = 96, BlockCount = 2, HeadCount = 8, KvHeadCount = 2,
        VocabularySize = 50, ContextLength = 24, RopeTheta = 10000, RopeLayout = layout, SlidingWindow = window,
    };

    private static LlamaConfig Mixture() => Dense() with { ExpertCount = 4, ExpertUsedCount = 2, FeedForwardLength = 48 };

    public static TheoryData<string> Configs => new() { "dense", "halfsplit", "window", "moe-merged", "moe-split", "tied" };

    [Theory]
    [MemberData(nameof(Configs))]
    public void LogitsMatchTheDoublePrecisionReference(string name)
    {
        var config = name switch
        {
            "halfsplit" => Dense(RopeLayout.HalfSplit),
            "window" => Dense(window: 5),
            "moe-merged" or "moe-split" => Mixture(),
            _ => Dense(),
        };
        var (source, reference) = RandomModel.Create(config, seed: 7, mergedExperts: name != "moe-split", tiedOutput: name == "tied");
        using (source)
        using (var pool = new ComputePool(2))
        {
            var weights = LlamaWeights.Bind(source, config);
            Assert.Equal(name == "tied", weights.TiedOutput);
            var transformer = new LlamaTransformer(weights, config.ContextLength, pool);
            var state = transformer.CreateState(config.ContextLength);
            int[] tokens = [1, 7, 7, 42, 3, 0, 49, 12, 5, 5, 8, 30];
            for (int position = 0; position < tokens.Length; position++)
            {
                var logits = transformer.Forward(state, tokens[position], position).ToArray();
                var expected = reference.Forward(tokens[position], position);
                double scale = expected.Max(Math.Abs);
                for (int i = 0; i < logits.Length; i++)
                    Assert.True(Math.Abs(logits[i] - expected[i]) <= 1e-4 * scale,
                        $"{name}: position {position} logit {i}: {logits[i]} vs reference {expected[i]}");
            }
        }
    }

    [Fact]
    public void ResultsAreIdenticalForOneTwoAndThreeThreads()
    {
        var config = Mixture();
        var (source, _) = RandomModel.Create(config, seed: 3);
        using (source)
        {
            float[]? first = null;
            foreach (int threads in new[] { 1, 2, 3 })
            {
                using var pool = new ComputePool(threads);
                var transformer = new LlamaTransformer(LlamaWeights.Bind(source, config), config.ContextLength, pool);
                var state = transformer.CreateState(config.ContextLength);
                float[] logits = [];
                for (int position = 0; position < 6; position++)
                    logits = transformer.Forward(state, position * 7 % config.VocabularySize, position).ToArray();
                first ??= logits;
                Assert.Equal(first, logits);
            }
        }
    }

    [Fact]
    public void ShapeMismatchNamesTheTensor()
    {
        var config = Dense();
        var (source, _) = RandomModel.Create(config, seed: 1);
        using (source)
        {
            var wrong = config with { FeedForwardLength = 100 };
            var error = Assert.Throws<FormatException>(() => LlamaWeights.Bind(source, wrong));
            Assert.Contains("blk.0.ffn_gate.weight", error.Message);
        }
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        var config = Dense() with { BlockCount = 3 };
        var (source, _) = RandomModel.Create(Dense(), seed: 1);
        using (source)
        {
            var error = Assert.Throws<FormatException>(() => LlamaWeights.Bind(source, config));
            Assert.Contains("blk.2.attn_norm.weight", error.Message);
        }
    }

    [Fact]
    public void TokenAndPositionOutOfRangeAreRejected()
    {
        var config = Dense();
        var (source, _) = RandomModel.Create(config, seed: 1);
        using (source)
        {
            var transformer = new LlamaTransformer(LlamaWeights.Bind(source, config), config.ContextLength, ComputePool.SingleThreaded);
            var state = transformer.CreateState(4);
            Assert.Throws<ArgumentOutOfRangeException>(() => transformer.Forward(state, config.VocabularySize, 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => transformer.Forward(state, -1, 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => transformer.Forward(state, 0, 4));
        }
    }

    [Fact]
    public void TopExpertsAreTheLargestWithLowerIndexWinningTies()
    {
        Span<int> selected = stackalloc int[2];
        Span<float> weights = stackalloc float[2];
        LlamaTransformer.SelectTopExperts([0.1f, 0.3f, 0.3f, 0.2f], selected, weights);
        Assert.Equal([1, 2], selected.ToArray());
        Assert.Equal([0.3f, 0.3f], weights.ToArray());
    }
}

/// <summary>Batched prompt processing against token-by-token decoding.</summary>
public class LlamaPrefillTests
{
    [Theory]
    [InlineData("dense", 12, 0, KvCacheType.F32)]
    [InlineData("window", 12, 3, KvCacheType.F32)]
    [InlineData("moe", 12, 0, KvCacheType.F32)]
    [InlineData("continued", 12, 5, KvCacheType.F32)]
    [InlineData("dense", 12, 0, KvCacheType.F16)]
    [InlineData("window", 12, 3, KvCacheType.F16)]
    [InlineData("moe", 12, 0, KvCacheType.F16)]
    [InlineData("continued", 12, 5, KvCacheType.F16)]
    public void PrefillMatchesTokenByTokenDecoding(string name, int count, int start, KvCacheType cacheType)
    {
        var config = new LlamaConfig
        {
            EmbeddingLength = 64, FeedForwardLength = 96, BlockCount = 2, HeadCount = 8, KvHeadCount = 2,
            VocabularySize = 50, ContextLength = 24, SlidingWindow = name == "window" ? 4 : 0,
            ExpertCount = name == "moe" ? 4 : 0, ExpertUsedCount = name == "moe" ? 2 : 0,
        };
        var (source, _) = RandomModel.Create(config, seed: 11);
        using (source)
        using (var pool = new ComputePool(2))
        {
            var transformer = new LlamaTransformer(LlamaWeights.Bind(source, config), config.ContextLength, pool, cacheType);
            var tokens = Enumerable.Range(0, start + count).Select(i => (i * 13 + 5) % config.VocabularySize).ToArray();
            var sequential = transformer.CreateState(config.ContextLength);
            float[] expected = [];
            for (int i = 0; i < tokens.Length; i++)
                expected = transformer.Forward(sequential, tokens[i], i).ToArray();

            var batched = transformer.CreateState(config.ContextLength);
            for (int i = 0; i < start; i++)
                transformer.Forward(batched, tokens[i], i);
            var actual = transformer.Prefill(batched, tokens.AsSpan(start), start).ToArray();
            float scale = expected.Max(MathF.Abs);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(MathF.Abs(actual[i] - expected[i]) <= 1e-4f * scale, $"{name}: logit {i}: {actual[i]} vs {expected[i]}");

            // The cache the batch left behind serves the next decoded token exactly as the sequential one.
            var next = transformer.Forward(batched, 7, tokens.Length).ToArray();
            var reference = transformer.Forward(sequential, 7, tokens.Length).ToArray();
            for (int i = 0; i < next.Length; i++)
                Assert.True(MathF.Abs(next[i] - reference[i]) <= 1e-4f * scale, $"{name}: next logit {i}");
        }
    }

    [Fact]
    public void PromptsLongerThanOneBatchAreSplit()
    {
        var config = new LlamaConfig
        {
            EmbeddingLength = 32, FeedForwardLength = 48, BlockCount = 1, HeadCount = 4, KvHeadCount = 4,
            VocabularySize = 40, ContextLength = InferenceState.PrefillBatch * 2 + 10,
        };
        var (source, reference) = RandomModel.Create(config, seed: 5);
        using (source)
        {
            var transformer = new LlamaTransformer(LlamaWeights.Bind(source, config), config.ContextLength, ComputePool.SingleThreaded);
            var tokens = Enumerable.Range(0, InferenceState.PrefillBatch + 37).Select(i => i * 7 % 40).ToArray();
            var state = transformer.CreateState(config.ContextLength);
            var logits = transformer.Prefill(state, tokens, 0).ToArray();
            double[] expected = [];
            for (int i = 0; i < tokens.Length; i++)
                expected = reference.Forward(tokens[i], i);
            double scale = expected.Max(Math.Abs);
            for (int i = 0; i < logits.Length; i++)
                Assert.True(Math.Abs(logits[i] - expected[i]) <= 2e-4 * scale, $"logit {i}: {logits[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void PrefillPastTheContextIsRejected()
    {
        var config = new LlamaConfig
        {
            EmbeddingLength = 32, FeedForwardLength = 48, BlockCount = 1, HeadCount = 4, KvHeadCount = 4,
            VocabularySize = 40, ContextLength = 8,
        };
        var (source, _) = RandomModel.Create(config, seed: 5);
        using (source)
        {
            var transformer = new LlamaTransformer(LlamaWeights.Bind(source, config), 8, ComputePool.SingleThreaded);
            var state = transformer.CreateState(8);
            Assert.Throws<ArgumentOutOfRangeException>(() => transformer.Prefill(state, new int[9], 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => transformer.Prefill(state, new int[3], 6));
            Assert.Throws<ArgumentOutOfRangeException>(() => transformer.Prefill(state, [1, 99], 0));
        }
    }
}
