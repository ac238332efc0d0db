using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Models;
using FastInfer.Kernels;

namespace FastInfer.Engine.Conversion;

/// <summary>The llama.* keys llama.cpp reads for a Llama-family model (Mistral and Mixtral included), and general.file_type.</summary>
public static class LlamaHyperparameters
{
    private const string Arch = "llama";

    public static void Write(GgufWriter writer, LlamaConfig config, GgmlType mostlyType)
    {
        config.Validate();
        writer.SetMetadata("general.architecture", GgufValue.Of(Arch))
            .SetMetadata("general.file_type", GgufValue.Of(FileType(mostlyType)))
            .SetMetadata($"{Arch}.vocab_size", GgufValue.Of((uint)config.VocabularySize))
            .SetMetadata($"{Arch}.context_length", GgufValue.Of((uint)config.ContextLength))
            .SetMetadata($"{Arch}.embedding_length", GgufValue.Of((uint)config.EmbeddingLength))
            .SetMetadata($"{Arch}.block_count", GgufValue.Of((uint)config.BlockCount))
            .SetMetadata($"{Arch}.feed_forward_length", GgufValue.Of((uint)config.FeedForwardLength))
            .SetMetadata($"{Arch}.rope.dimension_count", GgufValue.Of((uint)config.RotaryDimensions))
            .SetMetadata($"{Arch}.attention.head_count", GgufValue.Of((uint)config.HeadCount))
            .SetMetadata($"{Arch}.attention.head_count_kv", GgufValue.Of((uint)config.KvHeadCount))
            .SetMetadata($"{Arch}.attention.layer_norm_rms_epsilon", GgufValue.Of(config.RmsEpsilon))
            .SetMetadata($"{Arch}.rope.freq_base", GgufValue.Of(config.RopeTheta));
        if (config.IsMixtureOfExperts)
        {
            writer.SetMetadata($"{Arch}.expert_count", GgufValue.Of((uint)config.ExpertCount))
                .SetMetadata($"{Arch}.expert_used_count", GgufValue.Of((uint)config.ExpertUsedCount));
        }
        if (config.SlidingWindow > 0)
            writer.SetMetadata($"{Arch}.attention.sliding_window", GgufValue.Of((uint)config.SlidingWindow));
    }

    /// <summary>llama.cpp's llama_ftype for a model whose weights are mostly this type.</summary>
    public static uint FileType(GgmlType type) => type switch
    {
        GgmlType.F32 => 0,
        GgmlType.F16 => 1,
        GgmlType.Q4_0 => 2,
        GgmlType.Q4_1 => 3,
        GgmlType.Q8_0 => 7,
        GgmlType.Q5_0 => 8,
        GgmlType.Q5_1 => 9,
        GgmlType.Q2_K => 10,
        GgmlType.Q3_K => 11, // Q3_K_S: every matrix Q3_K
        GgmlType.Q4_K => 14, // Q4_K_S: every matrix Q4_K
        GgmlType.Q5_K => 16, // Q5_K_S
        GgmlType.Q6_K => 18,
        GgmlType.BF16 => 32,
        _ => 0,
    };
}
