using FastInfer.Engine.Formats.HuggingFace;
using FastInfer.Engine.Formats.Safetensors;
using FastInfer.Engine.Models;
using FastInfer.Engine.Tests.Formats.Safetensors;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Threading;

namespace FastInfer.Engine.Tests.Formats.HuggingFace;

/// <summary>
/// Tiny random Llama, Mistral and Mixtral checkpoints written as Hugging Face folders load through the model
/// binder and compute the same logits as the double-precision reference — which proves the name mapping, the
/// dims order and the half-split RoPE layout together.
/// </summary>
public class HuggingFaceCheckpointTests
{
    private static LlamaConfig Dense(int window = 0) => new()
    {
        EmbeddingLength = 64, FeedForwardLength = 96, BlockCount = 2, HeadCount = 8, KvHeadCount = 2, VocabularySize = 50,
        ContextLength = 24, RmsEpsilon = 1e-5f, RopeTheta = 10000, RopeLayout = RopeLayout.HalfSplit, SlidingWindow = window,
    };

    private static LlamaConfig Mixture() => Dense() with { ExpertCount = 4, ExpertUsedCount = 2, FeedForwardLength = 48, RopeTheta = 1e6f };

    public static TheoryData<string> Cases => new() { "llama", "llama-bf16", "llama-f16-tied", "mistral-window", "mixtral-sharded", "mixtral-bf16" };

    private static (LlamaConfig Config, TinyCheckpointLayout Layout) Case(string name) => name switch
    {
        "llama" => (Dense(), new TinyCheckpointLayout()),
        "llama-bf16" => (Dense(), new TinyCheckpointLayout { MatrixType = SafetensorsDType.BF16, NormType = SafetensorsDType.BF16 }),
        "llama-f16-tied" => (Dense(), new TinyCheckpointLayout { MatrixType = SafetensorsDType.F16, NormType = SafetensorsDType.F16, Tied = true, WriteLmHeadWhenTied = true }),
        "mistral-window" => (Dense(window: 5), new TinyCheckpointLayout { Architecture = "MistralForCausalLM" }),
        "mixtral-sharded" => (Mixture(), new TinyCheckpointLayout { Architecture = "MixtralForCausalLM", Sharded = true }),
        "mixtral-bf16" => (Mixture(), new TinyCheckpointLayout { Architecture = "MixtralForCausalLM", MatrixType = SafetensorsDType.BF16, NormType = SafetensorsDType.BF16 }),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void CheckpointBindsAndMatchesTheReference(string name)
    {
        var (config, layout) = Case(name);
        using var folder = new TempFolder();
        var reference = TinyCheckpoint.WriteRandom(folder.Path, config, layout, seed: 11);

        using var checkpoint = HuggingFaceCheckpoint.Open(folder.Path);
        Assert.Equal(config, checkpoint.Config);
        Assert.Equal(layout.Architecture, checkpoint.HuggingFaceConfig.Architecture);
        Assert.Equal(layout.Sharded ? 2 : 1, checkpoint.Files.Count);
        var weights = LlamaWeights.Bind(checkpoint, checkpoint.Config);
        Assert.Equal(layout.Tied, weights.TiedOutput);
        Assert.Equal(layout.Tied, checkpoint.Find("output.weight") is null);

        using var pool = new ComputePool(2);
        var transformer = new LlamaTransformer(weights, config.ContextLength, pool);
        var state = transformer.CreateState(config.ContextLength);
        int[] tokens = [1, 7, 7, 42, 3, 0, 49, 12, 5];
        for (int position = 0; position < tokens.Length; position++)
        {
            var logits = transformer.Forward(state, tokens[position], position).ToArray();
            var expected = reference.Forward(tokens[position], position);
            double scale = expected.Max(Math.Abs);
            for (int i = 0; i < logits.Length; i++)
                Assert.True(Math.Abs(logits[i] - expected[i]) <= 1e-4 * scale, $"{name}: position {position} logit {i}: {logits[i]} vs reference {expected[i]}");
        }
    }

    [Fact]
    public void MatricesAreZeroCopyAndHalfPrecisionNormsBecomeF32Copies()
    {
        using var folder = new TempFolder();
        var reference = TinyCheckpoint.WriteRandom(folder.Path, Mixture(), new TinyCheckpointLayout { Architecture = "MixtralForCausalLM", MatrixType = SafetensorsDType.BF16, NormType = SafetensorsDType.BF16 }, seed: 5);
        using var checkpoint = HuggingFaceCheckpoint.Open(folder.Path);
        var file = checkpoint.Files.Single();

        var q = checkpoint.Find("blk.1.attn_q.weight")!;
        Assert.Equal(GgmlType.BF16, q.Type);
        Assert.Equal([64L, 64L], q.Dimensions);
        Assert.Equal(file.DataPointer(file.Find("model.layers.1.self_attn.q_proj.weight")!), q.Data);
        var down = checkpoint.Find("blk.0.ffn_down.3.weight")!;
        Assert.Equal([48L, 64L], down.Dimensions);
        Assert.Equal(file.DataPointer(file.Find("model.layers.0.block_sparse_moe.experts.3.w2.weight")!), down.Data);
        Assert.Equal([64L, 4L], checkpoint.Find("blk.0.ffn_gate_inp.weight")!.Dimensions);

        var norm = checkpoint.Find("blk.0.ffn_norm.weight")!;
        Assert.Equal(GgmlType.F32, norm.Type);
        Assert.Equal(64 * 4, norm.ByteLength);
        Assert.Equal(reference.Layers[0].FfnNorm, norm.AsF32Span().ToArray());
        Assert.Equal(reference.OutputNorm, checkpoint.Find("output_norm.weight")!.AsF32Span().ToArray());
        Assert.Equal(checkpoint.Tensors.Count, checkpoint.Tensors.Select(t => t.Name).Distinct().Count());
        Assert.Equal(3 + 2 * (6 + 1 + 4 * 3), checkpoint.Tensors.Count);
    }

    [Fact]
    public void TokenizerJsonIsFoundWhenPresent()
    {
        using var with = new TempFolder();
        using var without = new TempFolder();
        TinyCheckpoint.WriteRandom(with.Path, Dense(), new TinyCheckpointLayout { WithTokenizer = true }, seed: 1);
        TinyCheckpoint.WriteRandom(without.Path, Dense(), new TinyCheckpointLayout(), seed: 1);
        using (var checkpoint = HuggingFaceCheckpoint.Open(with.Path))
            Assert.Equal(Path.Combine(with.Path, "tokenizer.json"), checkpoint.TokenizerJsonPath);
        using (var checkpoint = HuggingFaceCheckpoint.Open(without.Path))
            Assert.Null(checkpoint.TokenizerJsonPath);
    }

    [Fact]
    public void RotaryInverseFrequencyBuffersOfOlderCheckpointsAreSkipped()
    {
        using var folder = new TempFolder();
        TinyCheckpoint.WriteRandom(folder.Path, Dense(), new TinyCheckpointLayout { ExtraTensors = ["model.layers.0.self_attn.rotary_emb.inv_freq"] }, seed: 2);
        using var checkpoint = HuggingFaceCheckpoint.Open(folder.Path);
        Assert.DoesNotContain(checkpoint.Tensors, t => t.Name.Contains("rotary", StringComparison.Ordinal));
        LlamaWeights.Bind(checkpoint, checkpoint.Config);
    }

    public static TheoryData<string, string, string> Broken => new()
    {
        // case, extra tensor (or "-name" to omit one), message fragment
        { "llama", "model.layers.0.self_attn.q_proj.bias", "tensor 'model.layers.0.self_attn.q_proj.bias' has no counterpart in a LlamaForCausalLM with 2 layers" },
        { "llama", "model.layers.2.input_layernorm.weight", "tensor 'model.layers.2.input_layernorm.weight' has no counterpart" },
        { "llama", "model.layers.01.input_layernorm.weight", "tensor 'model.layers.01.input_layernorm.weight' has no counterpart" },
        { "llama", "model.layers.0.block_sparse_moe.gate.weight", "has no counterpart in a LlamaForCausalLM" },
        { "mixtral", "model.layers.0.block_sparse_moe.experts.4.w1.weight", "has no counterpart in a MixtralForCausalLM with 2 layers and 4 experts" },
        { "mixtral", "model.layers.0.mlp.gate_proj.weight", "has no counterpart in a MixtralForCausalLM" },
        { "llama", "-lm_head.weight", "tensor 'lm_head.weight' is missing and config.json does not set tie_word_embeddings" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void CheckpointsThatDoNotMatchTheArchitectureAreRefused(string model, string tensor, string fragment)
    {
        using var folder = new TempFolder();
        var layout = new TinyCheckpointLayout { Architecture = model == "mixtral" ? "MixtralForCausalLM" : "LlamaForCausalLM" };
        layout = tensor.StartsWith('-') ? layout with { OmitTensors = [tensor[1..]] } : layout with { ExtraTensors = [tensor] };
        TinyCheckpoint.WriteRandom(folder.Path, model == "mixtral" ? Mixture() : Dense(), layout, seed: 3);
        var e = Assert.Throws<HuggingFaceFormatException>(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void MissingModelTensorIsNamedByTheBinder()
    {
        using var folder = new TempFolder();
        TinyCheckpoint.WriteRandom(folder.Path, Dense(), new TinyCheckpointLayout { OmitTensors = ["model.layers.1.self_attn.v_proj.weight"] }, seed: 4);
        using var checkpoint = HuggingFaceCheckpoint.Open(folder.Path);
        var e = Assert.Throws<FormatException>(() => LlamaWeights.Bind(checkpoint, checkpoint.Config));
        Assert.Contains("blk.1.attn_v.weight", e.Message);
    }

    [Fact]
    public void WeightsInADtypeFastInferCannotComputeWithAreNamed()
    {
        using var folder = new TempFolder();
        TinyCheckpoint.WriteRandom(folder.Path, Dense(), new TinyCheckpointLayout(), seed: 6);
        // Rewrite the file with one projection stored as F64.
        string path = Path.Combine(folder.Path, HuggingFaceCheckpoint.SingleFileName);
        var writer = new SafetensorsWriter();
        using (var file = SafetensorsFile.Open(path))
        {
            foreach (var t in file.Tensors)
            {
                if (t.Name == "model.layers.0.mlp.up_proj.weight")
                    writer.Add(t.Name, SafetensorsDType.F64, t.Shape, new byte[t.ElementCount * 8]);
                else
                    writer.Add(t.Name, t.DType, t.Shape, file.Bytes(t).ToArray());
            }
        }
        writer.Write(path);
        var e = Assert.Throws<NotSupportedException>(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains("'model.layers.0.mlp.up_proj.weight'", e.Message);
        Assert.Contains("F64", e.Message);
    }

    [Fact]
    public void FolderWithoutWeightsOrConfigIsReported()
    {
        using var folder = new TempFolder();
        Assert.Throws<FileNotFoundException>(() => HuggingFaceCheckpoint.Open(folder.Path));
        File.WriteAllText(folder.File("config.json"), RealConfigs.TinyLlama);
        Assert.False(HuggingFaceCheckpoint.IsModelFolder(folder.Path));
        var e = Assert.Throws<FileNotFoundException>(() => HuggingFaceCheckpoint.Open(folder.Path));
        Assert.Contains("neither model.safetensors nor model.safetensors.index.json", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => HuggingFaceCheckpoint.Open(folder.File("absent")));
        Assert.False(HuggingFaceCheckpoint.IsModelFolder(folder.File("absent")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ModelFoldersAreRecognised(bool sharded)
    {
        using var folder = new TempFolder();
        TinyCheckpoint.WriteRandom(folder.Path, Dense(), new TinyCheckpointLayout { Sharded = sharded }, seed: 8);
        Assert.True(HuggingFaceCheckpoint.IsModelFolder(folder.Path));
        Assert.False(HuggingFaceCheckpoint.IsModelFolder(folder.File(HuggingFaceConfig.FileName)));
    }
}
