using System.Globalization;
using FastInfer.Engine.Models;
using FastInfer.Kernels.Ops;

namespace FastInfer.Engine.Synthesis;

/// <summary>
/// The hyperparameters of a synthetic Llama-family model: a named preset matching a real model's shape,
/// or a custom one ("custom:dim=64,ffn=128,layers=2,heads=4,kv=2,vocab=320,ctx=128").
/// </summary>
public sealed record SyntheticModelShape
{
    public string Name { get; init; } = "custom";
    public int EmbeddingLength { get; init; }
    public int FeedForwardLength { get; init; }
    public int BlockCount { get; init; }
    public int HeadCount { get; init; }
    public int KvHeadCount { get; init; }
    public int VocabularySize { get; init; }
    public int ContextLength { get; init; }
    public float RopeTheta { get; init; } = 10000f;
    public float RmsEpsilon { get; init; } = 1e-5f;
    /// <summary>Experts per layer; 0 for a dense feed-forward.</summary>
    public int ExpertCount { get; init; }
    public int ExpertUsedCount { get; init; }
    public int SlidingWindow { get; init; }

    public int HeadDimension => EmbeddingLength / HeadCount;
    public int KvDimension => KvHeadCount * HeadDimension;
    public bool IsMixtureOfExperts => ExpertCount > 0;

    public static SyntheticModelShape Stories15M { get; } = new()
    {
        Name = "stories15M", EmbeddingLength = 288, FeedForwardLength = 768, BlockCount = 6, HeadCount = 6, KvHeadCount = 6,
        VocabularySize = 32000, ContextLength = 256,
    };

    public static SyntheticModelShape Stories110M { get; } = new()
    {
        Name = "stories110M", EmbeddingLength = 768, FeedForwardLength = 2048, BlockCount = 12, HeadCount = 12, KvHeadCount = 12,
        VocabularySize = 32000, ContextLength = 1024,
    };

    public static SyntheticModelShape TinyLlama1_1B { get; } = new()
    {
        Name = "tinyllama-1.1b", EmbeddingLength = 2048, FeedForwardLength = 5632, BlockCount = 22, HeadCount = 32, KvHeadCount = 4,
        VocabularySize = 32000, ContextLength = 2048, RopeTheta = 10000f,
    };

    public static SyntheticModelShape Mistral7B { get; } = new()
    {
        Name = "mistral-7b", EmbeddingLength = 4096, FeedForwardLength = 14336, BlockCount = 32, HeadCount = 32, KvHeadCount = 8,
        VocabularySize = 32000, ContextLength = 32768, RopeTheta = 1e6f, SlidingWindow = 4096,
    };

    public static SyntheticModelShape Mixtral8x7B { get; } = new()
    {
        Name = "mixtral-8x7b", EmbeddingLength = 4096, FeedForwardLength = 14336, BlockCount = 32, HeadCount = 32, KvHeadCount = 8,
        VocabularySize = 32000, ContextLength = 32768, RopeTheta = 1e6f, ExpertCount = 8, ExpertUsedCount = 2,
    };

    public static SyntheticModelShape MixtralMini { get; } = new()
    {
        Name = "mixtral-mini", EmbeddingLength = 256, FeedForwardLength = 512, BlockCount = 4, HeadCount = 8, KvHeadCount = 4,
        VocabularySize = 512, ContextLength = 512, RopeTheta = 1e6f, ExpertCount = 8, ExpertUsedCount = 2,
    };

    public static IReadOnlyList<SyntheticModelShape> Presets { get; } =
        [Stories15M, Stories110M, TinyLlama1_1B, Mistral7B, Mixtral8x7B, MixtralMini];

    /// <summary>A preset name, or "custom:key=value,…" with keys dim, ffn, layers, heads, kv, vocab, ctx, theta, eps, experts, top, window.</summary>
    public static SyntheticModelShape Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var preset = Presets.FirstOrDefault(p => string.Equals(p.Name, text.Trim(), StringComparison.OrdinalIgnoreCase));
        if (preset is not null)
            return preset;
        const string prefix = "custom:";
        if (!text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"unknown model shape '{text}'; use one of {string.Join(", ", Presets.Select(p => p.Name))} or custom:dim=..,ffn=..,layers=..,heads=..,kv=..,vocab=..,ctx=..");

        var shape = new SyntheticModelShape();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in text[prefix.Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !seen.Add(kv[0]))
                throw new FormatException($"custom shape: '{part}' is not a new key=value pair");
            string key = kv[0].ToLowerInvariant(), value = kv[1];
            shape = key switch
            {
                "dim" => shape with { EmbeddingLength = Int(key, value) },
                "ffn" => shape with { FeedForwardLength = Int(key, value) },
                "layers" => shape with { BlockCount = Int(key, value) },
                "heads" => shape with { HeadCount = Int(key, value) },
                "kv" => shape with { KvHeadCount = Int(key, value) },
                "vocab" => shape with { VocabularySize = Int(key, value) },
                "ctx" => shape with { ContextLength = Int(key, value) },
                "experts" => shape with { ExpertCount = Int(key, value) },
                "top" => shape with { ExpertUsedCount = Int(key, value) },
                "window" => shape with { SlidingWindow = Int(key, value) },
                "theta" => shape with { RopeTheta = Float(key, value) },
                "eps" => shape with { RmsEpsilon = Float(key, value) },
                _ => throw new FormatException($"custom shape: unknown key '{kv[0]}'"),
            };
        }
        if (!seen.Contains("kv"))
            shape = shape with { KvHeadCount = shape.HeadCount };
        shape.ToConfig();
        return shape;
    }

    private static int Int(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new FormatException($"custom shape: {key}={value} is not an integer");

    private static float Float(string key, string value) =>
        float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v : throw new FormatException($"custom shape: {key}={value} is not a number");

    /// <summary>The hyperparameters as the engine sees them; throws a FormatException when inconsistent.</summary>
    public LlamaConfig ToConfig()
    {
        var config = new LlamaConfig
        {
            Architecture = "llama",
            EmbeddingLength = EmbeddingLength,
            FeedForwardLength = FeedForwardLength,
            BlockCount = BlockCount,
            HeadCount = HeadCount,
            KvHeadCount = KvHeadCount,
            VocabularySize = VocabularySize,
            ContextLength = ContextLength,
            RmsEpsilon = RmsEpsilon,
            RopeTheta = RopeTheta,
            RopeDimensions = HeadCount > 0 ? EmbeddingLength / HeadCount : 0,
            RopeLayout = RopeLayout.Interleaved,
            ExpertCount = ExpertCount,
            ExpertUsedCount = ExpertUsedCount,
            SlidingWindow = SlidingWindow,
        };
        config.Validate();
        return config;
    }

    /// <summary>Number of weights, counting the separate output matrix (as llama.cpp's parameter count does).</summary>
    public long ParameterCount
    {
        get
        {
            long dim = EmbeddingLength, ffn = FeedForwardLength;
            long attention = dim * dim * 2 + dim * KvDimension * 2;
            long feedForward = IsMixtureOfExperts ? ExpertCount * 3 * dim * ffn + dim * ExpertCount : 3 * dim * ffn;
            long perLayer = attention + feedForward + 2 * dim;
            return 2 * VocabularySize * dim + BlockCount * perLayer + dim;
        }
    }
}
