using FastInfer.Kernels.Ops;

namespace FastInfer.Engine.Models;

/// <summary>
/// Hyperparameters of a Llama-family decoder (Llama 2/3, Mistral, Mixtral), read from GGUF metadata,
/// a llama2.c header or a Hugging Face config.json.
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>GGUF general.architecture ("llama" also covers Mistral and Mixtral).</summary>
    public string Architecture { get; init; } = "llama";
    public int EmbeddingLength { get; init; }
    public int FeedForwardLength { get; init; }
    public int BlockCount { get; init; }
    public int HeadCount { get; init; }
    public int KvHeadCount { get; init; }
    public int VocabularySize { get; init; }
    public int ContextLength { get; init; }
    public float RmsEpsilon { get; init; } = 1e-5f;
    public float RopeTheta { get; init; } = 10000f;
    /// <summary>Elements of each head that RoPE rotates; defaults to the whole head.</summary>
    public int RopeDimensions { get; init; }
    public RopeLayout RopeLayout { get; init; } = RopeLayout.Interleaved;
    /// <summary>Experts per MoE layer; 0 for a dense model.</summary>
    public int ExpertCount { get; init; }
    /// <summary>Experts each token is routed to (Mixtral: 2).</summary>
    public int ExpertUsedCount { get; init; }
    /// <summary>Sliding attention window in tokens (Mistral); 0 when attention sees the whole context.</summary>
    public int SlidingWindow { get; init; }

    public int HeadDimension => EmbeddingLength / HeadCount;
    public int KvDimension => KvHeadCount * HeadDimension;
    public int RotaryDimensions => RopeDimensions > 0 ? RopeDimensions : HeadDimension;
    public bool IsMixtureOfExperts => ExpertCount > 0;

    /// <summary>Throws a <see cref="FormatException"/> naming the first inconsistent value.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok)
                throw new FormatException("invalid model hyperparameters: " + message);
        }
        Require(EmbeddingLength > 0, $"embedding length {EmbeddingLength}");
        Require(FeedForwardLength > 0, $"feed-forward length {FeedForwardLength}");
        Require(BlockCount > 0 && BlockCount <= 1024, $"block count {BlockCount}");
        Require(HeadCount > 0 && EmbeddingLength % HeadCount == 0, $"{HeadCount} heads do not divide embedding length {EmbeddingLength}");
        Require(KvHeadCount > 0 && HeadCount % KvHeadCount == 0, $"{KvHeadCount} KV heads do not divide {HeadCount} heads");
        Require(VocabularySize > 0, $"vocabulary size {VocabularySize}");
        Require(ContextLength > 0, $"context length {ContextLength}");
        Require(RmsEpsilon > 0 && RmsEpsilon < 1, $"RMS epsilon {RmsEpsilon}");
        Require(RopeTheta > 0, $"rope theta {RopeTheta}");
        Require(RotaryDimensions % 2 == 0 && RotaryDimensions <= HeadDimension, $"rope dimensions {RotaryDimensions}");
        Require(ExpertCount >= 0 && ExpertUsedCount >= 0 && ExpertUsedCount <= ExpertCount, $"experts used {ExpertUsedCount} of {ExpertCount}");
        Require(ExpertCount == 0 || ExpertUsedCount > 0, "a mixture of experts must route each token to at least one expert");
        Require(SlidingWindow >= 0, $"sliding window {SlidingWindow}");
    }
}
