using FastInfer.Engine.Models;
using FastInfer.Kernels;
using FastInfer.Lpu.Hardware;

namespace FastInfer.Lpu.Models;

/// <summary>
/// Everything the LPU compiler needs to know about a Llama-family model: its dimensions and the bytes its
/// weights take. No weights: a shape is enough to place and schedule a model.
/// </summary>
public sealed record LpuModelShape
{
    public required string Name { get; init; }
    public required int Layers { get; init; }
    public required int Embedding { get; init; }
    public required int FeedForward { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int HeadDimension { get; init; }
    public required int Vocabulary { get; init; }
    /// <summary>Experts per layer; 0 for a dense model.</summary>
    public int Experts { get; init; }
    public int ExpertsUsed { get; init; }
    /// <summary>Tokens the KV cache holds.</summary>
    public required int Context { get; init; }
    /// <summary>Output projection shares the token-embedding table (llama2.c's stories models).</summary>
    public bool TiedEmbeddings { get; init; }
    /// <summary>Bytes per weight as stored, block scales included (Q8_0: 34/32).</summary>
    public required double WeightBytes { get; init; }
    /// <summary>Bytes per KV-cache element.</summary>
    public double KvBytes { get; init; } = 2;
    /// <summary>The weight type holding most of the bytes, for a shape read from a real model; null for named configs.</summary>
    public GgmlType? WeightType { get; init; }
    /// <summary>The number format of the matrix units.</summary>
    public required LpuPrecision Precision { get; init; }

    public bool IsMixtureOfExperts => Experts > 0;
    public int QueryDimension => Heads * HeadDimension;
    public int KvDimension => KvHeads * HeadDimension;
    public int QueriesPerKvHead => Heads / KvHeads;

    public long AttentionWeightsPerLayer => 2L * Embedding * QueryDimension + 2L * Embedding * KvDimension;
    public long FeedForwardWeightsPerExpert => 3L * Embedding * FeedForward;
    public long RouterWeightsPerLayer => IsMixtureOfExperts ? (long)Experts * Embedding : 0;
    public long WeightsPerLayer => AttentionWeightsPerLayer + RouterWeightsPerLayer + FeedForwardWeightsPerExpert * Math.Max(1, Experts);
    public long EmbeddingWeights => (long)Vocabulary * Embedding;
    public long TotalWeights => Layers * WeightsPerLayer + EmbeddingWeights * (TiedEmbeddings ? 1 : 2);
    /// <summary>Weights one token multiplies by (MoE: only the experts it is routed to).</summary>
    public long ActiveWeights => Layers * (AttentionWeightsPerLayer + RouterWeightsPerLayer + FeedForwardWeightsPerExpert * Math.Max(1, ExpertsUsed)) + EmbeddingWeights;
    public long KvCacheBytesPerLayer => (long)Math.Ceiling(2.0 * KvDimension * Context * KvBytes);

    /// <summary>The same model stored at another precision (int8: 1 byte per weight, fp16: 2).</summary>
    public LpuModelShape At(LpuPrecision precision) => this with { Precision = precision, WeightBytes = precision.WeightBytes() };

    /// <summary>
    /// The shape of a model read by the Engine. The weight type sets the bytes per weight; integer and quantized
    /// types run on the int8 matrix path, float types on the fp16 path.
    /// </summary>
    public static LpuModelShape FromLlamaConfig(LlamaConfig config, GgmlType weightType, string name = "model", bool tiedEmbeddings = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        int block = GgmlTypeTraits.BlockSize(weightType);
        int bytes = GgmlTypeTraits.BlockBytes(weightType);
        if (bytes == 0)
            throw new ArgumentException($"weight type {weightType} ({(uint)weightType}) has no known size");
        bool isFloat = GgmlTypeTraits.IsFloat(weightType);
        var shape = new LpuModelShape
        {
            Name = name,
            Layers = config.BlockCount,
            Embedding = config.EmbeddingLength,
            FeedForward = config.FeedForwardLength,
            Heads = config.HeadCount,
            KvHeads = config.KvHeadCount,
            HeadDimension = config.HeadDimension,
            Vocabulary = config.VocabularySize,
            Experts = config.ExpertCount,
            ExpertsUsed = config.ExpertUsedCount,
            Context = config.ContextLength,
            TiedEmbeddings = tiedEmbeddings,
            WeightBytes = (double)bytes / block,
            Precision = isFloat ? LpuPrecision.Fp16 : LpuPrecision.Int8,
        };
        shape.Validate();
        return shape;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first value that cannot describe a model.</summary>
    public void Validate()
    {
        static void Require(bool ok, string what)
        {
            if (!ok)
                throw new ArgumentException("invalid model shape: " + what);
        }
        Require(!string.IsNullOrWhiteSpace(Name), "name is empty");
        Require(Layers is > 0 and <= 1024, $"layers {Layers}");
        Require(Embedding is > 0 and <= 1 << 20, $"embedding {Embedding}");
        Require(FeedForward is > 0 and <= 1 << 22, $"feed-forward {FeedForward}");
        Require(Heads > 0 && KvHeads > 0 && Heads % KvHeads == 0, $"{Heads} heads, {KvHeads} KV heads");
        Require(HeadDimension is > 0 and <= 1 << 14, $"head dimension {HeadDimension}");
        Require(Vocabulary is > 0 and <= 1 << 24, $"vocabulary {Vocabulary}");
        Require(Experts is >= 0 and <= 4096 && ExpertsUsed >= 0 && ExpertsUsed <= Experts && (Experts == 0 || ExpertsUsed > 0),
            $"{ExpertsUsed} of {Experts} experts");
        Require(Context is > 0 and <= 1 << 24, $"context {Context}");
        Require(WeightBytes is > 0 and <= 8, $"bytes per weight {WeightBytes}");
        Require(KvBytes is > 0 and <= 8, $"bytes per KV element {KvBytes}");
    }
}
