using FastInfer.Accuracy.Torch;
using FastInfer.Engine.Formats.HuggingFace;
using FastInfer.Engine.Models;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Threading;
using Xunit.Abstractions;

namespace FastInfer.TorchOracle.Tests.Models;

/// <summary>
/// FastInfer loading a Hugging Face folder against <see cref="TorchLlama"/> on the same safetensors. Metric: per
/// position, max |fastinfer − torch| / max |torch| over the logits; F32 must stay within 1e-4.
/// </summary>
public class TorchReferenceTests(ITestOutputHelper output)
{
    private static readonly LlamaConfig Llama = new()
    {
        EmbeddingLength = 64, FeedForwardLength = 128, BlockCount = 2, HeadCount = 8, KvHeadCount = 2, VocabularySize = 128,
        ContextLength = 128, RmsEpsilon = 1e-5f, RopeTheta = 10000, RopeLayout = RopeLayout.HalfSplit,
    };

    private static readonly LlamaConfig Mistral = Llama with { SlidingWindow = 5, RopeTheta = 1e6f };

    private static readonly LlamaConfig Mixtral = Llama with { ExpertCount = 4, ExpertUsedCount = 2, FeedForwardLength = 96, RopeTheta = 1e6f };

    /// <summary>mixtral-mini's shape (8 experts, top-2, 4 layers, GQA 8/4) at HF layout.</summary>
    private static readonly LlamaConfig MixtralMini = Llama with
    {
        EmbeddingLength = 256, FeedForwardLength = 512, BlockCount = 4, HeadCount = 8, KvHeadCount = 4, VocabularySize = 512,
        ContextLength = 512, RopeTheta = 1e6f, ExpertCount = 8, ExpertUsedCount = 2,
    };

    private static LlamaConfig ConfigOf(string name) => name switch
    {
        "llama" => Llama,
        "mistral" => Mistral,
        _ => Mixtral,
    };

    private static readonly int[][] Prompts = [[1, 5, 9, 77, 3], [1, 100, 100, 100, 2, 64, 8, 12, 33, 90, 4, 4, 6], [1]];

    [Theory]
    [InlineData("llama")]
    [InlineData("mistral")]
    [InlineData("mixtral")]
    public void PrefillAndDecodeLogitsMatchTorch(string architecture)
    {
        var config = ConfigOf(architecture);
        using var folder = new Folder();
        RandomCheckpoint.Write(folder.Path, config, seed: 13);
        using var torchModel = TorchLlama.FromSafetensors(folder.Path, config);
        using var engine = new Engine(folder.Path);
        double worst = 0;
        foreach (var prompt in Prompts)
        {
            var expected = torchModel.Forward(prompt);
            // Decode: one token at a time.
            var state = engine.Transformer.CreateState(64);
            for (int i = 0; i < prompt.Length; i++)
                worst = Math.Max(worst, Check(expected[i], engine.Transformer.Forward(state, prompt[i], i), $"{architecture} decode position {i}"));
            // Prefill: the whole prompt in one batch, then one decode step after it.
            var batch = engine.Transformer.CreateState(64);
            worst = Math.Max(worst, Check(expected[^1], engine.Transformer.Prefill(batch, prompt, 0), $"{architecture} prefill"));
            var longer = prompt.Append(7).ToArray();
            worst = Math.Max(worst, Check(torchModel.Forward(longer)[^1], engine.Transformer.Forward(batch, 7, prompt.Length), $"{architecture} decode after prefill"));
        }
        output.WriteLine($"{architecture}: max relative error {worst:E2}");
    }

    /// <summary>Acceptance: greedy generation of a mixtral-mini-shaped checkpoint agrees with torch token for token for 64 steps.</summary>
    [Fact]
    public void MixtralMiniGreedyGenerationAgreesForSixtyFourSteps()
    {
        using var folder = new Folder();
        RandomCheckpoint.Write(folder.Path, MixtralMini, seed: 5);
        using var torchModel = TorchLlama.FromSafetensors(folder.Path, MixtralMini);
        using var engine = new Engine(folder.Path);
        var tokens = new List<int> { 1, 300, 17 };
        var state = engine.Transformer.CreateState(128);
        var logits = engine.Transformer.Prefill(state, tokens.ToArray(), 0).ToArray();
        for (int step = 0; step < 64; step++)
        {
            int ours = ArgMax(logits);
            // Torch recomputes the whole sequence each step: no cache to share a mistake with.
            var expected = torchModel.Forward(tokens.ToArray())[^1];
            Check(expected, logits, $"step {step}");
            Assert.True(ArgMax(expected) == ours, $"step {step}: torch picks {ArgMax(expected)}, FastInfer {ours}");
            tokens.Add(ours);
            logits = engine.Transformer.Forward(state, ours, tokens.Count - 1).ToArray();
        }
        output.WriteLine("tokens: " + string.Join(' ', tokens));
        Assert.True(tokens.Skip(3).Distinct().Count() > 4, "the generation is stuck on a few tokens");
    }

    private static double Check(float[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs((double)actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs((double)expected[i]));
        }
        double relative = diff / scale;
        Assert.True(relative <= 1e-4, $"{what}: max relative error {relative:E2}");
        return relative;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
                best = i;
        }
        return best;
    }

    /// <summary>FastInfer's transformer over the folder's memory-mapped checkpoint.</summary>
    private sealed class Engine : IDisposable
    {
        private readonly HuggingFaceCheckpoint _checkpoint;
        private readonly ComputePool _pool = new(2);

        public Engine(string folder)
        {
            _checkpoint = HuggingFaceCheckpoint.Open(folder);
            Transformer = new LlamaTransformer(LlamaWeights.Bind(_checkpoint, _checkpoint.Config), 128, _pool);
        }

        public LlamaTransformer Transformer { get; }

        public void Dispose()
        {
            _pool.Dispose();
            _checkpoint.Dispose();
        }
    }

    private sealed class Folder : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fastinfer-torch-" + Guid.NewGuid().ToString("N"));

        public Folder() => Directory.CreateDirectory(Path);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
