using System.Text;
using System.Text.Json.Nodes;
using FastInfer.Engine.Formats.HuggingFace;
using FastInfer.Engine.Models;
using FastInfer.Kernels.Ops;

namespace FastInfer.Engine.Tests.Formats.HuggingFace;

/// <summary>config.json → <see cref="LlamaConfig"/> for the three supported architectures, and clear refusals.</summary>
public class HuggingFaceConfigTests
{
    private static HuggingFaceConfig Parse(string json) => HuggingFaceConfig.Parse(Encoding.UTF8.GetBytes(json));

    /// <summary>A real config with one field replaced (or removed, for a null value).</summary>
    private static string Edit(string json, string field, JsonNode? value, bool remove = false)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        if (remove)
            node.Remove(field);
        else
            node[field] = value;
        return node.ToJsonString();
    }

    [Fact]
    public void TinyLlama()
    {
        var config = Parse(RealConfigs.TinyLlama);
        Assert.Equal("LlamaForCausalLM", config.Architecture);
        Assert.False(config.TieWordEmbeddings);
        Assert.Equal(new LlamaConfig
        {
            Architecture = "llama", EmbeddingLength = 2048, FeedForwardLength = 5632, BlockCount = 22, HeadCount = 32,
            KvHeadCount = 4, VocabularySize = 32000, ContextLength = 2048, RmsEpsilon = 1e-5f, RopeTheta = 10000f,
            RopeLayout = RopeLayout.HalfSplit,
        }, config.Model);
        Assert.Equal(64, config.Model.HeadDimension);
    }

    [Fact]
    public void Mistral7BHasASlidingWindow()
    {
        var config = Parse(RealConfigs.Mistral7B);
        Assert.Equal("MistralForCausalLM", config.Architecture);
        Assert.Equal(new LlamaConfig
        {
            EmbeddingLength = 4096, FeedForwardLength = 14336, BlockCount = 32, HeadCount = 32, KvHeadCount = 8,
            VocabularySize = 32000, ContextLength = 32768, RmsEpsilon = 1e-5f, RopeTheta = 10000f,
            RopeLayout = RopeLayout.HalfSplit, SlidingWindow = 4096,
        }, config.Model);
    }

    [Fact]
    public void MistralWithNullSlidingWindowAttendsToTheWholeContext()
    {
        var config = Parse(RealConfigs.Mistral7BInstructV02);
        Assert.Equal(0, config.Model.SlidingWindow);
        Assert.Equal(1e6f, config.Model.RopeTheta);
    }

    [Fact]
    public void Mixtral8x7B()
    {
        var config = Parse(RealConfigs.Mixtral8x7B);
        Assert.Equal("MixtralForCausalLM", config.Architecture);
        Assert.Equal(new LlamaConfig
        {
            EmbeddingLength = 4096, FeedForwardLength = 14336, BlockCount = 32, HeadCount = 32, KvHeadCount = 8,
            VocabularySize = 32000, ContextLength = 32768, RmsEpsilon = 1e-5f, RopeTheta = 1e6f,
            RopeLayout = RopeLayout.HalfSplit, ExpertCount = 8, ExpertUsedCount = 2,
        }, config.Model);
        Assert.True(config.Model.IsMixtureOfExperts);
    }

    [Fact]
    public void AbsentFieldsTakeTheTransformersDefaultsOfTheirArchitecture()
    {
        // Llama: one KV head per query head, eps 1e-6, theta 1e4.
        var llama = Parse(Edit(Edit(Edit(RealConfigs.TinyLlama, "num_key_value_heads", null, remove: true), "rms_norm_eps", null, remove: true), "rope_theta", null, remove: true)).Model;
        Assert.Equal((32, 1e-6f, 10000f), (llama.KvHeadCount, llama.RmsEpsilon, llama.RopeTheta));
        // Mistral: a 4096-token window when the field is absent (null means none).
        Assert.Equal(4096, Parse(Edit(RealConfigs.Mistral7BInstructV02, "sliding_window", null, remove: true)).Model.SlidingWindow);
        // Mixtral: 8 experts, 2 per token, theta 1e6, eps 1e-5.
        string bare = RealConfigs.Mixtral8x7B;
        foreach (var field in new[] { "num_local_experts", "num_experts_per_tok", "rope_theta", "rms_norm_eps" })
            bare = Edit(bare, field, null, remove: true);
        var mixtral = Parse(bare).Model;
        Assert.Equal((8, 2, 1e6f, 1e-5f), (mixtral.ExpertCount, mixtral.ExpertUsedCount, mixtral.RopeTheta, mixtral.RmsEpsilon));
    }

    [Fact]
    public void ModelTypeNamesTheArchitectureWhenArchitecturesIsAbsent()
    {
        var config = Parse(Edit(RealConfigs.Mixtral8x7B, "architectures", null, remove: true));
        Assert.Equal("MixtralForCausalLM", config.Architecture);
    }

    [Fact]
    public void TiedEmbeddingsAreRead() =>
        Assert.True(Parse(Edit(RealConfigs.TinyLlama, "tie_word_embeddings", true)).TieWordEmbeddings);

    [Fact]
    public void HeadDimEqualToHiddenOverHeadsIsAccepted() =>
        Assert.Equal(128, Parse(Edit(RealConfigs.Mistral7B, "head_dim", 128)).Model.HeadDimension);

    public static TheoryData<string, string> Unsupported => new()
    {
        { Edit(RealConfigs.TinyLlama, "architectures", new JsonArray("Qwen2ForCausalLM")), "architecture 'Qwen2ForCausalLM' is not supported; FastInfer loads LlamaForCausalLM, MistralForCausalLM, MixtralForCausalLM" },
        { Edit(Edit(RealConfigs.TinyLlama, "architectures", null, remove: true), "model_type", "gemma"), "model_type 'gemma'; FastInfer loads LlamaForCausalLM" },
        { Edit(RealConfigs.TinyLlama, "rope_scaling", JsonNode.Parse("""{"type": "linear", "factor": 2.0}""")), "rope_scaling {\"type\":\"linear\",\"factor\":2.0} is not supported yet" },
        { Edit(RealConfigs.Mistral7B, "head_dim", 96), "head_dim 96 differs from hidden_size / num_attention_heads = 128" },
        { Edit(RealConfigs.TinyLlama, "attention_bias", true), "attention_bias true is not supported" },
        { Edit(RealConfigs.TinyLlama, "hidden_act", "gelu"), "hidden_act \"gelu\" is not supported" },
    };

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void UnsupportedModelsAreRefusedWithTheReason(string json, string fragment)
    {
        var e = Assert.Throws<NotSupportedException>(() => Parse(json));
        Assert.Contains(fragment, e.Message);
    }

    public static TheoryData<string, string, string?> Malformed => new()
    {
        { Edit(RealConfigs.TinyLlama, "hidden_size", null, remove: true), "field 'hidden_size' is missing", null },
        { Edit(RealConfigs.TinyLlama, "hidden_size", "2048"), "field 'hidden_size' is \"2048\", not a 32-bit integer", "\"hidden_size\"" },
        { Edit(RealConfigs.TinyLlama, "num_hidden_layers", 22.5), "field 'num_hidden_layers' is 22.5", "\"num_hidden_layers\"" },
        { Edit(RealConfigs.TinyLlama, "rms_norm_eps", "small"), "field 'rms_norm_eps' is \"small\", not a number", "\"rms_norm_eps\"" },
        { Edit(RealConfigs.TinyLlama, "tie_word_embeddings", 1), "field 'tie_word_embeddings' is 1, not true or false", "\"tie_word_embeddings\"" },
        { Edit(RealConfigs.TinyLlama, "architectures", "LlamaForCausalLM"), "field 'architectures' must be a non-empty array", "\"architectures\"" },
        { Edit(RealConfigs.TinyLlama, "num_key_value_heads", 5), "5 KV heads do not divide 32 heads", null },
        { Edit(RealConfigs.Mixtral8x7B, "num_experts_per_tok", 9), "experts used 9 of 8", null },
        { RealConfigs.TinyLlama.Replace("\"vocab_size\": 32000", "\"vocab_size\": 32000, \"vocab_size\": 1"), "key 'vocab_size' appears twice", null },
        { RealConfigs.TinyLlama[..200], "invalid JSON", null },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedConfigsNameTheField(string json, string fragment, string? locatedAt)
    {
        var e = Assert.Throws<HuggingFaceFormatException>(() => Parse(json));
        Assert.Contains(fragment, e.Message);
        Assert.Contains("config.json", e.Message);
        if (locatedAt is not null)
            Assert.Equal(Encoding.UTF8.GetByteCount(json[..json.IndexOf(locatedAt, StringComparison.Ordinal)]), e.Offset);
    }

    [Fact]
    public void MissingConfigFileIsNamed()
    {
        var e = Assert.Throws<FileNotFoundException>(() => HuggingFaceConfig.Load("/nonexistent/config.json"));
        Assert.Contains("config.json", e.Message);
    }
}
