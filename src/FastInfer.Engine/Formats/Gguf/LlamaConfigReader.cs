using FastInfer.Engine.Models;
using FastInfer.Kernels.Ops;

namespace FastInfer.Engine.Formats.Gguf;

/// <summary>Reads Llama-family hyperparameters from GGUF metadata (the keys llama.cpp's converter writes).</summary>
public static class LlamaConfigReader
{
    /// <summary>
    /// Architectures laid out like Llama. llama.cpp writes Mistral and Mixtral as "llama";
    /// "mistral" is accepted for files from converters that name it.
    /// </summary>
    public static IReadOnlyList<string> SupportedArchitectures { get; } = ["llama", "mistral"];

    public static LlamaConfig FromGguf(GgufFile file)
    {
        string arch = file.GetString("general.architecture");
        if (!SupportedArchitectures.Contains(arch))
            throw new GgufFormatException("metadata 'general.architecture'", file.OffsetOf("general.architecture"),
                $"architecture '{arch}' is not supported (supported: {string.Join(", ", SupportedArchitectures)})");

        int headCount = file.GetInt32($"{arch}.attention.head_count");
        var config = new LlamaConfig
        {
            Architecture = arch,
            EmbeddingLength = file.GetInt32($"{arch}.embedding_length"),
            FeedForwardLength = file.GetInt32($"{arch}.feed_forward_length"),
            BlockCount = file.GetInt32($"{arch}.block_count"),
            HeadCount = headCount,
            KvHeadCount = Optional(file, $"{arch}.attention.head_count_kv", headCount),
            ContextLength = file.GetInt32($"{arch}.context_length"),
            RmsEpsilon = file.GetFloat32($"{arch}.attention.layer_norm_rms_epsilon"),
            RopeTheta = file.TryGetFloat32($"{arch}.rope.freq_base", out float theta) ? theta : 10000f,
            RopeDimensions = Optional(file, $"{arch}.rope.dimension_count", 0),
            // llama.cpp's converter permutes Q and K so that RoPE rotates adjacent pairs.
            RopeLayout = RopeLayout.Interleaved,
            ExpertCount = Optional(file, $"{arch}.expert_count", 0),
            ExpertUsedCount = Optional(file, $"{arch}.expert_used_count", 0),
            SlidingWindow = Optional(file, $"{arch}.attention.sliding_window", 0),
            VocabularySize = VocabularySize(file, arch),
        };
        config.Validate();
        return config;
    }

    private static int Optional(GgufFile file, string key, int fallback) =>
        file.TryGetInt32(key, out int value) ? value : fallback;

    private static int VocabularySize(GgufFile file, string arch)
    {
        if (file.TryGetMetadata("tokenizer.ggml.tokens", v => v.ArrayLength, out int tokens))
            return tokens;
        if (file.TryGetInt32($"{arch}.vocab_size", out int declared))
            return declared;
        var embedding = file.Find("token_embd.weight")
            ?? throw new GgufFormatException("metadata 'tokenizer.ggml.tokens'", -1,
                "vocabulary size unknown: no token list, no vocab_size key and no token_embd.weight tensor");
        return checked((int)embedding.Dimensions[^1]);
    }
}
