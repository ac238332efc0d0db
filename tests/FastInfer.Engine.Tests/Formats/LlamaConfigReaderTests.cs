using FastInfer.Engine.Formats.Gguf;
using FastInfer.Kernels;

namespace FastInfer.Engine.Tests.Formats;

public class LlamaConfigReaderTests
{
    private static GgufWriter Minimal(string arch = "llama") => new GgufWriter()
        .SetMetadata("general.architecture", GgufValue.Of(arch))
        .SetMetadata($"{arch}.embedding_length", GgufValue.Of(64u))
        .SetMetadata($"{arch}.feed_forward_length", GgufValue.Of(128u))
        .SetMetadata($"{arch}.block_count", GgufValue.Of(2u))
        .SetMetadata($"{arch}.attention.head_count", GgufValue.Of(4u))
        .SetMetadata($"{arch}.context_length", GgufValue.Of(256u))
        .SetMetadata($"{arch}.attention.layer_norm_rms_epsilon", GgufValue.Of(1e-6f))
        .AddTensor("token_embd.weight", GgmlType.F16, new float[64 * 10], 64, 10);

    private static T Read<T>(GgufWriter writer, Func<GgufFile, T> read)
    {
        using var temp = TempFile.With(writer.ToArray());
        using var file = GgufFile.Open(temp.Path);
        return read(file);
    }

    [Fact]
    public void OptionalKeysTakeLlamaDefaultsAndVocabularyComesFromTheEmbedding()
    {
        var config = Read(Minimal(), LlamaConfigReader.FromGguf);
        Assert.Equal(4, config.KvHeadCount);
        Assert.Equal(10000f, config.RopeTheta);
        Assert.Equal(16, config.RotaryDimensions);
        Assert.Equal(10, config.VocabularySize);
        Assert.Equal(1e-6f, config.RmsEpsilon);
        Assert.Equal((0, 0, 0), (config.ExpertCount, config.ExpertUsedCount, config.SlidingWindow));
    }

    [Fact]
    public void EveryOptionalKeyIsRead()
    {
        var writer = Minimal("mistral")
            .SetMetadata("mistral.attention.head_count_kv", GgufValue.Of(2))
            .SetMetadata("mistral.rope.freq_base", GgufValue.Of(1e6f))
            .SetMetadata("mistral.rope.dimension_count", GgufValue.Of(8u))
            .SetMetadata("mistral.expert_count", GgufValue.Of(8u))
            .SetMetadata("mistral.expert_used_count", GgufValue.Of(2u))
            .SetMetadata("mistral.attention.sliding_window", GgufValue.Of(4096u))
            .SetMetadata("tokenizer.ggml.tokens", GgufValue.Of(["a", "b", "c"]));
        var config = Read(writer, LlamaConfigReader.FromGguf);
        Assert.Equal("mistral", config.Architecture);
        Assert.Equal((2, 1e6f, 8, 8, 2, 4096, 3), (config.KvHeadCount, config.RopeTheta, config.RotaryDimensions, config.ExpertCount, config.ExpertUsedCount, config.SlidingWindow, config.VocabularySize));
    }

    [Fact]
    public void UnsupportedArchitectureMissingKeysAndBadValuesAreNamed()
    {
        var gpt = Read(Minimal("gpt2"), f => Assert.Throws<GgufFormatException>(() => LlamaConfigReader.FromGguf(f)));
        Assert.Contains("'gpt2' is not supported", gpt.Message);

        var noBlocks = new GgufWriter().SetMetadata("general.architecture", GgufValue.Of("llama"));
        var missing = Read(noBlocks, f => Assert.Throws<GgufFormatException>(() => LlamaConfigReader.FromGguf(f)));
        Assert.Equal("GGUF metadata 'llama.attention.head_count': required key is missing", missing.Message);

        var badHeads = Minimal().SetMetadata("llama.attention.head_count", GgufValue.Of(3u));
        Assert.Contains("heads", Read(badHeads, f => Assert.ThrowsAny<FormatException>(() => LlamaConfigReader.FromGguf(f))).Message);

        var wrongType = Minimal().SetMetadata("llama.block_count", GgufValue.Of("two"));
        Assert.Contains("'llama.block_count'", Read(wrongType, f => Assert.Throws<GgufFormatException>(() => LlamaConfigReader.FromGguf(f))).Message);
    }
}
