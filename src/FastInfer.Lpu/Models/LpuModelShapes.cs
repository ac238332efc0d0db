using FastInfer.Lpu.Hardware;

namespace FastInfer.Lpu.Models;

/// <summary>Published hyperparameters of well-known models (from each model's config.json / llama2.c release).</summary>
public static class LpuModelShapes
{
    private static readonly LpuModelShape[] Known =
    [
        Dense("stories15M", layers: 6, dim: 288, ffn: 768, heads: 6, kvHeads: 6, vocab: 32000, context: 256, tied: true),
        Dense("stories110M", layers: 12, dim: 768, ffn: 2048, heads: 12, kvHeads: 12, vocab: 32000, context: 1024, tied: true),
        Dense("tinyllama-1.1b", layers: 22, dim: 2048, ffn: 5632, heads: 32, kvHeads: 4, vocab: 32000, context: 2048),
        Dense("llama2-7b", layers: 32, dim: 4096, ffn: 11008, heads: 32, kvHeads: 32, vocab: 32000, context: 4096),
        Dense("llama2-70b", layers: 80, dim: 8192, ffn: 28672, heads: 64, kvHeads: 8, vocab: 32000, context: 4096),
        Dense("llama3-8b", layers: 32, dim: 4096, ffn: 14336, heads: 32, kvHeads: 8, vocab: 128256, context: 8192),
        Dense("llama3-70b", layers: 80, dim: 8192, ffn: 28672, heads: 64, kvHeads: 8, vocab: 128256, context: 8192),
        // Mixtral-8x7B: the Mistral-7B attention with 8 SwiGLU experts per layer, 2 routed per token; 32k context.
        Dense("mixtral-8x7b", layers: 32, dim: 4096, ffn: 14336, heads: 32, kvHeads: 8, vocab: 32000, context: 32768) with { Experts = 8, ExpertsUsed = 2 },
    ];

    public static IReadOnlyList<string> Names { get; } = Known.Select(s => s.Name).ToArray();

    /// <summary>The named model at <paramref name="precision"/>; throws naming the known models when unknown.</summary>
    public static LpuModelShape ByName(string name, LpuPrecision precision = LpuPrecision.Int8)
    {
        var shape = Known.FirstOrDefault(s => string.Equals(s.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown model config '{name}': expected one of {string.Join(", ", Names)}");
        return shape.At(precision);
    }

    private static LpuModelShape Dense(string name, int layers, int dim, int ffn, int heads, int kvHeads, int vocab, int context, bool tied = false) => new()
    {
        Name = name,
        Layers = layers,
        Embedding = dim,
        FeedForward = ffn,
        Heads = heads,
        KvHeads = kvHeads,
        HeadDimension = dim / heads,
        Vocabulary = vocab,
        Context = context,
        TiedEmbeddings = tied,
        WeightBytes = 1,
        Precision = LpuPrecision.Int8,
    };
}
