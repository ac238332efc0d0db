using FastInfer.Engine.Models;
using FastInfer.Engine.Synthesis;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Packed;
using FastInfer.Kernels.Threading;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Models;

/// <summary>
/// <see cref="ModelLoadOptions.FuseProjections"/> stacks Query/Key/Value and Gate/Up into one matrix each; every row is
/// still its own dot product, so decode and prefill must give bit-identical logits with and without it.
/// </summary>
public sealed class FusedProjectionWeightsTests : IDisposable
{
    private const string Gqa = "custom:dim=128,ffn=352,layers=2,heads=4,kv=2,vocab=300,ctx=64";
    private readonly string _folder = TestModels.TempDirectory("fused-model");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static bool Packs => PackedWeights.IsReadOn(KernelIsa.Active);

    [Theory]
    [InlineData(GgmlType.Q4_0, Gqa)]
    [InlineData(GgmlType.Q8_0, Gqa)]
    [InlineData(GgmlType.Q5_0, Gqa)]
    [InlineData(GgmlType.F32, Gqa)]
    [InlineData(GgmlType.F16, "custom:dim=64,ffn=96,layers=2,heads=4,kv=1,vocab=100,ctx=32")]
    [InlineData(GgmlType.Q4_K, "custom:dim=256,ffn=512,layers=2,heads=4,kv=2,vocab=300,ctx=64")]
    [InlineData(GgmlType.Q2_K, "custom:dim=256,ffn=512,layers=1,heads=8,kv=2,vocab=120,ctx=64")]
    [InlineData(GgmlType.Q3_K, "custom:dim=256,ffn=512,layers=1,heads=8,kv=2,vocab=120,ctx=64")]
    [InlineData(GgmlType.Q5_K, "custom:dim=256,ffn=512,layers=1,heads=8,kv=2,vocab=120,ctx=64")]
    [InlineData(GgmlType.Q6_K, "custom:dim=256,ffn=512,layers=1,heads=8,kv=2,vocab=120,ctx=64")]
    public void FusedAndSeparateMatricesGiveBitIdenticalLogits(GgmlType type, string shape)
    {
        string path = Path.Combine(_folder, $"{type}-{shape.GetHashCode():x}.gguf");
        SyntheticModelWriter.Write(SyntheticModelShape.Parse(shape), type, seed: 7, path);
        // Packed parts are not fused (PackedPartsAreNotStackedAndGiveTheLogitsOfSeparateCalls): where a type packs, its fusion is tested unpacked.
        bool pack = !PackedWeights.ReplacesRows(KernelIsa.Active, type);
        using var fused = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2, PackWeights = pack });
        using var separate = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2, FuseProjections = false, PackWeights = pack });

        foreach (var layer in fused.Weights.Layers)
        {
            Assert.True(layer.FusesValue);
            Assert.NotNull(layer.Dense!.GateUp);
            Assert.False(layer.QueryKeyValue!.Value.IsPacked);
            Assert.Equal(layer.QueryKeyValue!.Value.Data + (nint)(layer.Query.Rows * layer.Query.RowBytes), layer.Key.Data);
        }
        Assert.All(separate.Weights.Layers, l => Assert.Null(l.QueryKeyValue));
        AssertSameLogits(separate.Transformer, fused.Transformer, fused.Config.VocabularySize);
    }

    [Fact]
    public void TheRealStories260KGivesBitIdenticalLogitsFused()
    {
        string path = TestModels.Require("stories260K.gguf");
        using var fused = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2 });
        using var separate = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2, FuseProjections = false });
        Assert.True(fused.Weights.Layers[0].FusesValue);
        Assert.NotNull(fused.Weights.Layers[0].Dense!.GateUp);
        AssertSameLogits(separate.Transformer, fused.Transformer, fused.Config.VocabularySize);
    }

    /// <summary>A Q4_K_M-like file: the value matrix in another type than query and key fuses query and key only.</summary>
    [Fact]
    public void AMixedTypeModelFusesOnlyTheCompatibleParts()
    {
        var config = Config(kvHeads: 2);
        using var source = Requantized(config, name => name.Contains("attn_v") ? GgmlType.Q8_0 : GgmlType.Q4_0);
        var (fused, separate) = Prepare(source, config, budget: long.MaxValue, pack: false);
        using (fused)
        using (separate)
        {
            foreach (var layer in fused.Weights.Layers)
            {
                Assert.False(layer.FusesValue);
                Assert.Equal(layer.Query.Rows + layer.Key.Rows, layer.QueryKeyValue!.Value.Rows);
                Assert.NotNull(layer.Dense!.GateUp);
            }
            Assert.Equal(2 * config.BlockCount, fused.Count);
            AssertSameLogits(separate.Transformer, fused.Transformer, config.VocabularySize);
        }
    }

    [Fact]
    public void MatricesOfDifferentTypesDoNotFuseAtAll()
    {
        var config = Config(kvHeads: 2);
        using var source = Requantized(config, name => name.Contains("attn_k") || name.Contains("ffn_up") ? GgmlType.Q8_0 : GgmlType.Q4_0);
        var (fused, separate) = Prepare(source, config, budget: long.MaxValue, pack: false);
        using (fused)
        using (separate)
        {
            Assert.Equal(0, fused.Count);
            Assert.All(fused.Weights.Layers, l => Assert.Null(l.QueryKeyValue));
            Assert.All(fused.Weights.Layers, l => Assert.Null(l.Dense!.GateUp));
            AssertSameLogits(separate.Transformer, fused.Transformer, config.VocabularySize);
        }
    }

    /// <summary>
    /// Packed parts are not stacked into a copy (their packed copies replace the rows): decode runs each layer's
    /// query, key and value, and its gate and up, as one call over the parts, with the logits of separate calls.
    /// </summary>
    [SkippableTheory]
    [InlineData(GgmlType.Q4_0, 2)]
    [InlineData(GgmlType.Q8_0, 1)]
    [InlineData(GgmlType.Q5_0, 2)]
    public void PackedPartsAreNotStackedAndGiveTheLogitsOfSeparateCalls(GgmlType type, int kvHeads)
    {
        Skip.IfNot(Packs, "packed copies are only made on AVX2 and wider");
        var config = Config(kvHeads, heads: 16);
        using var source = Requantized(config, _ => type);
        var (fused, separate) = Prepare(source, config, budget: long.MaxValue);
        using (fused)
        using (separate)
        {
            Assert.Equal(0, fused.Count);
            foreach (var layer in fused.Weights.Layers)
            {
                Assert.Null(layer.QueryKeyValue);
                Assert.Null(layer.Dense!.GateUp);
                Assert.True(layer.Query.IsPacked && layer.Key.IsPacked && layer.Value.IsPacked);
                Assert.True(layer.Dense.Gate.IsPacked && layer.Dense.Up.IsPacked);
            }
            AssertSameLogits(separate.Transformer, fused.Transformer, config.VocabularySize);
        }
    }

    [Fact]
    public void ABudgetTooSmallForAFusedCopyLeavesThePartsSeparateAndCopiesThemOnTheirOwn()
    {
        string path = Path.Combine(_folder, "budget-f32.gguf");
        SyntheticModelWriter.Write(SyntheticModelShape.Parse("custom:dim=64,ffn=96,layers=2,heads=4,kv=2,vocab=100,ctx=32"), GgmlType.F32, seed: 5, path);
        using var all = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2, FuseProjections = false });
        long query = all.Weights.Layers[0].Query.ByteLength;
        // Query, key and value together need 2 × query; query and key 1.5 ×: neither fits, query alone does.
        using var tight = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2, MaxWeightCopyBytes = query });
        Assert.Null(tight.Weights.Layers[0].QueryKeyValue);
        Assert.NotEqual(tight.Tensors.Get("blk.0.attn_q.weight").Data, tight.Weights.Layers[0].Query.Data);
        Assert.Equal(tight.Tensors.Get("blk.0.attn_k.weight").Data, tight.Weights.Layers[0].Key.Data);
        AssertSameLogits(all.Transformer, tight.Transformer, all.Config.VocabularySize);
    }

    private static LlamaConfig Config(int kvHeads, int heads = 8) => new()
    {
        EmbeddingLength = 64, FeedForwardLength = 96, BlockCount = 2, HeadCount = heads, KvHeadCount = kvHeads,
        VocabularySize = 50, ContextLength = 24, RopeTheta = 10000,
    };

    /// <summary>Random weights with each matrix stored in the type <paramref name="typeOf"/> gives its name (norms stay F32).</summary>
    private static InMemoryTensorSource Requantized(LlamaConfig config, Func<string, GgmlType> typeOf)
    {
        var (f32, _) = RandomModel.Create(config, seed: 21);
        using (f32)
        {
            var source = new InMemoryTensorSource();
            foreach (var tensor in f32.Tensors)
            {
                var type = tensor.Dimensions.Length == 1 || tensor.Name == "token_embd.weight" ? GgmlType.F32 : typeOf(tensor.Name);
                source.Add(tensor.Name, tensor.AsF32Span().ToArray(), type, tensor.Dimensions);
            }
            return source;
        }
    }

    /// <summary>The weights prepared as <see cref="LlamaModel"/> prepares them, with and without fusion.</summary>
    private static (Prepared Fused, Prepared Separate) Prepare(InMemoryTensorSource source, LlamaConfig config, long budget, bool pack = true)
    {
        var bound = LlamaWeights.Bind(source, config);
        return (new Prepared(bound, config, budget, fuse: true, pack), new Prepared(bound, config, budget, fuse: false, pack));
    }

    private sealed class Prepared : IDisposable
    {
        private readonly ComputePool _pool = new(2);
        private readonly FusedProjectionWeights? _fused;
        private readonly PackedModelWeights _packed;

        public Prepared(LlamaWeights bound, LlamaConfig config, long budget, bool fuse, bool pack)
        {
            var copyBudget = new WeightCopyBudget(budget);
            _fused = fuse ? new FusedProjectionWeights(bound, pack && Packs, copy: true, _pool, copyBudget) : null;
            // Without packing, a path that reads no packed copies: the matrices stay in their rows.
            _packed = new PackedModelWeights(_fused?.Weights ?? bound, pack ? KernelIsa.Active : IsaPath.V128, _pool, copyBudget);
            Transformer = new LlamaTransformer(_packed.Weights, config.ContextLength, _pool);
        }

        public LlamaTransformer Transformer { get; }
        public LlamaWeights Weights => Transformer.Weights;
        public int Count => _fused?.Count ?? 0;

        public void Dispose()
        {
            _pool.Dispose();
            _packed.Dispose();
            _fused?.Dispose();
        }
    }

    private static void AssertSameLogits(LlamaTransformer expected, LlamaTransformer actual, int vocabulary)
    {
        int[] prompt = [1, 17 % vocabulary, 42 % vocabulary, 9, 5, 23 % vocabulary, 3];
        var a = expected.CreateState(16);
        var b = actual.CreateState(16);
        Assert.Equal(expected.Prefill(a, prompt, 0).ToArray(), actual.Prefill(b, prompt, 0).ToArray());
        for (int position = prompt.Length; position < prompt.Length + 4; position++)
        {
            int token = (position * 7) % vocabulary;
            Assert.Equal(expected.Forward(a, token, position).ToArray(), actual.Forward(b, token, position).ToArray());
        }
    }
}
