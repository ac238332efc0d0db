using System.Text.Json;
using FastInfer.Engine.Formats.Safetensors;
using FastInfer.Engine.Models;
using FastInfer.Kernels.Ops;

namespace FastInfer.Engine.Formats.HuggingFace;

/// <summary>
/// The parts of a Hugging Face <c>config.json</c> that FastInfer needs for Llama, Mistral and Mixtral,
/// turned into <see cref="LlamaConfig"/>. Fields absent from the file take the defaults the transformers
/// library gives them for that architecture, so the model runs as it would there; anything that would change
/// the computation in a way FastInfer does not implement (rope scaling, biases, another activation) is refused.
/// </summary>
public sealed record HuggingFaceConfig
{
    public const string FileName = "config.json";

    public static readonly IReadOnlyList<string> SupportedArchitectures = ["LlamaForCausalLM", "MistralForCausalLM", "MixtralForCausalLM"];

    /// <summary>The architecture class named in config.json, e.g. <c>MixtralForCausalLM</c>.</summary>
    public required string Architecture { get; init; }

    public required LlamaConfig Model { get; init; }

    /// <summary>True when the output head reuses the token embedding (no <c>lm_head.weight</c> is needed).</summary>
    public bool TieWordEmbeddings { get; init; }

    public static HuggingFaceConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{path}' does not exist; a Hugging Face model folder needs its {FileName}", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses config.json text; <paramref name="path"/> only names the file in errors.</summary>
    public static HuggingFaceConfig Parse(ReadOnlySpan<byte> utf8Json, string path = FileName)
    {
        var fields = new ConfigFields(path, JsonFields.ParseObject(utf8Json, (problem, offset) => new HuggingFaceFormatException(path, problem, offset)));
        string architecture = ReadArchitecture(fields, path);
        bool mistral = architecture == "MistralForCausalLM", mixtral = architecture == "MixtralForCausalLM";

        if (fields.Find("hidden_act") is { } act && (act.Value.ValueKind != JsonValueKind.String || act.Value.GetString() != "silu"))
            throw new NotSupportedException($"{FileName}: hidden_act {act.Value.GetRawText()} is not supported; FastInfer implements SwiGLU with silu");
        if (fields.Find("rope_scaling") is { } scaling && scaling.Value.ValueKind != JsonValueKind.Null)
            throw new NotSupportedException($"{FileName}: rope_scaling {scaling.Value.GetRawText()} is not supported yet; only plain RoPE (rope_scaling null) is");
        foreach (var bias in new[] { "attention_bias", "mlp_bias" })
        {
            if (fields.Bool(bias, false))
                throw new NotSupportedException($"{FileName}: {bias} true is not supported; FastInfer's Llama layers have no biases");
        }

        int hidden = fields.Int("hidden_size");
        int heads = fields.Int("num_attention_heads");
        // transformers' Llama falls back to one KV head per query head; its Mistral and Mixtral configs default to 8.
        int kvHeads = fields.Int("num_key_value_heads", mistral || mixtral ? 8 : heads);
        if (fields.Find("head_dim") is { } headDim && headDim.Value.ValueKind != JsonValueKind.Null)
        {
            int value = fields.Int("head_dim");
            if (heads > 0 && value != hidden / heads)
                throw new NotSupportedException(
                    $"{FileName}: head_dim {value} differs from hidden_size / num_attention_heads = {hidden / Math.Max(heads, 1)}; FastInfer does not support decoupled head sizes yet");
        }

        var model = new LlamaConfig
        {
            Architecture = "llama",
            EmbeddingLength = hidden,
            FeedForwardLength = fields.Int("intermediate_size"),
            BlockCount = fields.Int("num_hidden_layers"),
            HeadCount = heads,
            KvHeadCount = kvHeads,
            VocabularySize = fields.Int("vocab_size"),
            ContextLength = fields.Int("max_position_embeddings"),
            RmsEpsilon = fields.Float("rms_norm_eps", mixtral ? 1e-5f : 1e-6f),
            RopeTheta = fields.Float("rope_theta", mixtral ? 1e6f : 10000f),
            // Hugging Face keeps q/k projections in the rotate-half layout; llama.cpp permutes them to pairs when converting.
            RopeLayout = RopeLayout.HalfSplit,
            // Only Mistral and Mixtral use a sliding window (Mistral's config class defaults it to 4096 when absent).
            SlidingWindow = mistral ? fields.NullableInt("sliding_window", 4096) : mixtral ? fields.NullableInt("sliding_window", 0) : 0,
            ExpertCount = mixtral ? fields.Int("num_local_experts", 8) : 0,
            ExpertUsedCount = mixtral ? fields.Int("num_experts_per_tok", 2) : 0,
        };
        try
        {
            model.Validate();
        }
        catch (FormatException e)
        {
            throw new HuggingFaceFormatException(path, e.Message);
        }
        return new HuggingFaceConfig { Architecture = architecture, Model = model, TieWordEmbeddings = fields.Bool("tie_word_embeddings", false) };
    }

    private static string ReadArchitecture(ConfigFields fields, string path)
    {
        string supported = string.Join(", ", SupportedArchitectures);
        if (fields.Find("architectures") is { } list)
        {
            if (list.Value.ValueKind != JsonValueKind.Array || list.Value.GetArrayLength() == 0 || list.Value[0].ValueKind != JsonValueKind.String)
                throw new HuggingFaceFormatException(path, $"field 'architectures' must be a non-empty array of strings, found {list.Value.GetRawText()}", list.Offset);
            string name = list.Value[0].GetString()!;
            if (!SupportedArchitectures.Contains(name))
                throw new NotSupportedException($"{FileName}: architecture '{name}' is not supported; FastInfer loads {supported}");
            return name;
        }
        // Older configs name only the model type.
        string? type = fields.Find("model_type") is { Value.ValueKind: JsonValueKind.String } t ? t.Value.GetString() : null;
        return type switch
        {
            "llama" => "LlamaForCausalLM",
            "mistral" => "MistralForCausalLM",
            "mixtral" => "MixtralForCausalLM",
            _ => throw new NotSupportedException($"{FileName}: no 'architectures' and model_type '{type ?? "(absent)"}'; FastInfer loads {supported}"),
        };
    }
}
