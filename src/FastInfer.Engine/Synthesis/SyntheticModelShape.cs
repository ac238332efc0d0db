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

    /// <summary>The hyperparameters; the rotary dimensions are always the whole head here.</summary>
    public LlamaConfig Config { get; init; } = new();

    public static SyntheticModelShape Stories15M { get; } = Preset("stories15M", new LlamaConfig
    {
        EmbeddingLength = 288, FeedForwardLength = 768, BlockCount = 6, HeadCount = 6, KvHeadCount = 6,
        VocabularySize = 32000, ContextLength = 256,
    });

    public static SyntheticModelShape Stories110M { get; } = Preset("stories110M", new LlamaConfig
    {
        EmbeddingLength = 768, FeedForwardLength = 2048, BlockCount = 12, HeadCount = 12, KvHeadCount = 12,
        VocabularySize = 32000, ContextLength = 1024,
    });

    public static SyntheticModelShape TinyLlama1_1B { get; } = Preset("tinyllama-1.1b", new LlamaConfig
    {
        EmbeddingLength = 2048, FeedForwardLength = 5632, BlockCount = 22, HeadCount = 32, KvHeadCount = 4,
        VocabularySize = 32000, ContextLength = 2048, RopeTheta = 10000f,
    });

    public static SyntheticModelShape Mistral7B { get; } = Preset("mistral-7b", new LlamaConfig
    {
        EmbeddingLength = 4096, FeedForwardLength = 14336, BlockCount = 32, HeadCount = 32, KvHeadCount = 8,
        VocabularySize = 32000, ContextLength = 32768, RopeTheta = 1e6f, SlidingWindow = 4096,
    });

    public static SyntheticModelShape Mixtral8x7B { get; } = Preset("mixtral-8x7b", new LlamaConfig
    {
        EmbeddingLength = 4096, FeedForwardLength = 14336, BlockCount = 32, HeadCount = 32, KvHeadCount = 8,
        VocabularySize = 32000, ContextLength = 32768, RopeTheta = 1e6f, ExpertCount = 8, ExpertUsedCount = 2,
    });

    public static SyntheticModelShape MixtralMini { get; } = Preset("mixtral-mini", new LlamaConfig
    {
        EmbeddingLength = 256, FeedForwardLength = 512, BlockCount = 4, HeadCount = 8, KvHeadCount = 4,
        VocabularySize = 512, ContextLength = 512, RopeTheta = 1e6f, ExpertCount = 8, ExpertUsedCount = 2,
    });

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

        var config = new LlamaConfig();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in text[prefix.Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !seen.Add(kv[0]))
                throw new FormatException($"custom shape: '{part}' is not a new key=value pair");
            string key = kv[0].ToLowerInvariant(), value = kv[1];
            config = key switch
            {
                "dim" => config with { EmbeddingLength = Int(key, value) },
                "ffn" => config with { FeedForwardLength = Int(key, value) },
                "layers" => config with { BlockCount = Int(key, value) },
                "heads" => config with { HeadCount = Int(key, value) },
                "kv" => config with { KvHeadCount = Int(key, value) },
                "vocab" => config with { VocabularySize = Int(key, value) },
                "ctx" => config with { ContextLength = Int(key, value) },
                "experts" => config with { ExpertCount = Int(key, value) },
                "top" => config with { ExpertUsedCount = Int(key, value) },
                "window" => config with { SlidingWindow = Int(key, value) },
                "theta" => config with { RopeTheta = Float(key, value) },
                "eps" => config with { RmsEpsilon = Float(key, value) },
                _ => throw new FormatException($"custom shape: unknown key '{kv[0]}'"),
            };
        }
        if (!seen.Contains("kv"))
            config = config with { KvHeadCount = config.HeadCount };
        return Preset("custom", config);
    }

    private static int Int(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new FormatException($"custom shape: {key}={value} is not an integer");

    private static float Float(string key, string value) =>
        float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v : throw new FormatException($"custom shape: {key}={value} is not a number");

    /// <summary>A validated shape; RoPE covers the whole head and pairs adjacent elements, as llama.cpp's Llama files do.</summary>
    private static SyntheticModelShape Preset(string name, LlamaConfig config)
    {
        config = config with
        {
            Architecture = "llama",
            RopeLayout = RopeLayout.Interleaved,
            RopeDimensions = config.HeadCount > 0 ? config.EmbeddingLength / config.HeadCount : 0,
        };
        config.Validate();
        return new SyntheticModelShape { Name = name, Config = config };
    }

    /// <summary>Number of weights, counting the separate output matrix (as llama.cpp's parameter count does).</summary>
    public long ParameterCount
    {
        get
        {
            long dim = Config.EmbeddingLength, ffn = Config.FeedForwardLength;
            long attention = dim * dim * 2 + dim * Config.KvDimension * 2;
            long feedForward = Config.IsMixtureOfExperts ? Config.ExpertCount * (3 * dim * ffn + dim) : 3 * dim * ffn;
            long perLayer = attention + feedForward + 2 * dim;
            return 2 * Config.VocabularySize * dim + Config.BlockCount * perLayer + dim;
        }
    }
}
