using System.Globalization;
using FastInfer.Engine.Models;

namespace FastInfer.Engine.Formats.HuggingFace;

/// <summary>
/// Hugging Face Llama/Mistral/Mixtral tensor names → the GGUF names the model binder uses. HF matrices are stored
/// row-major as [out, in], which is exactly ggml's [in, out] read innermost-first, so only the names change.
/// Mixtral's experts map to GGUF's per-expert layout (<c>blk.N.ffn_gate.E.weight</c>), which needs no copying.
/// </summary>
public static class HuggingFaceTensorNames
{
    private const string LayerPrefix = "model.layers.";
    private const string ExpertPrefix = "block_sparse_moe.experts.";

    private static readonly Dictionary<string, string> Global = new(StringComparer.Ordinal)
    {
        ["model.embed_tokens.weight"] = "token_embd.weight",
        ["model.norm.weight"] = "output_norm.weight",
        ["lm_head.weight"] = "output.weight",
    };

    private static readonly Dictionary<string, string> Attention = new(StringComparer.Ordinal)
    {
        ["input_layernorm.weight"] = "attn_norm.weight",
        ["self_attn.q_proj.weight"] = "attn_q.weight",
        ["self_attn.k_proj.weight"] = "attn_k.weight",
        ["self_attn.v_proj.weight"] = "attn_v.weight",
        ["self_attn.o_proj.weight"] = "attn_output.weight",
        ["post_attention_layernorm.weight"] = "ffn_norm.weight",
    };

    private static readonly Dictionary<string, string> DenseFeedForward = new(StringComparer.Ordinal)
    {
        ["mlp.gate_proj.weight"] = "ffn_gate.weight",
        ["mlp.up_proj.weight"] = "ffn_up.weight",
        ["mlp.down_proj.weight"] = "ffn_down.weight",
    };

    // Mixtral's expert MLP computes w2(silu(w1 x) * w3 x): w1 is the gate, w3 the up projection, w2 the down.
    private static readonly Dictionary<string, string> ExpertProjections = new(StringComparer.Ordinal)
    {
        ["w1.weight"] = "ffn_gate",
        ["w3.weight"] = "ffn_up",
        ["w2.weight"] = "ffn_down",
    };

    /// <summary>
    /// True for buffers that older checkpoints saved but that are derived from the config (RoPE's inverse
    /// frequencies), so a loader skips them.
    /// </summary>
    public static bool IsDerivedBuffer(string name) => name.StartsWith(LayerPrefix, StringComparison.Ordinal) && name.EndsWith(".self_attn.rotary_emb.inv_freq", StringComparison.Ordinal);

    /// <summary>The GGUF name of a Hugging Face tensor, or null when it has no counterpart in a model of <paramref name="config"/>.</summary>
    public static string? ToGguf(string name, LlamaConfig config)
    {
        if (Global.TryGetValue(name, out var global))
            return global;
        if (!name.StartsWith(LayerPrefix, StringComparison.Ordinal))
            return null;
        string rest = name[LayerPrefix.Length..];
        int dot = rest.IndexOf('.');
        if (dot < 0 || !TryIndex(rest[..dot], config.BlockCount, out int layer))
            return null;
        string suffix = rest[(dot + 1)..];
        string block = $"blk.{layer}.";
        if (Attention.TryGetValue(suffix, out var attention))
            return block + attention;
        if (!config.IsMixtureOfExperts)
            return DenseFeedForward.TryGetValue(suffix, out var dense) ? block + dense : null;
        if (suffix == "block_sparse_moe.gate.weight")
            return block + "ffn_gate_inp.weight";
        if (!suffix.StartsWith(ExpertPrefix, StringComparison.Ordinal))
            return null;
        string expertPart = suffix[ExpertPrefix.Length..];
        dot = expertPart.IndexOf('.');
        if (dot < 0 || !TryIndex(expertPart[..dot], config.ExpertCount, out int expert))
            return null;
        return ExpertProjections.TryGetValue(expertPart[(dot + 1)..], out var projection) ? $"{block}{projection}.{expert}.weight" : null;
    }

    /// <summary>A canonical decimal index below <paramref name="count"/> ("07" or "+7" would alias another tensor).</summary>
    private static bool TryIndex(string text, int count, out int index)
    {
        index = -1;
        if (text.Length == 0 || text.Length > 1 && text[0] == '0' || !text.All(char.IsAsciiDigit))
            return false;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out index) && index < count;
    }
}
