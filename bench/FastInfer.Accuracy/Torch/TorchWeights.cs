using System.Runtime.InteropServices;
using FastInfer.Engine.Conversion;
using FastInfer.Engine.Formats;
using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Formats.HuggingFace;
using FastInfer.Engine.Formats.Safetensors;
using FastInfer.Engine.Models;
using FastInfer.Kernels;
using static TorchSharp.torch;

namespace FastInfer.Accuracy.Torch;

/// <summary>
/// Weights for <see cref="TorchLlama"/> under transformers' names, as F32 tensors of shape [out, in]. Model files are
/// read only for their bytes; every layout decision (GGUF's interleaved q/k rows, stacked experts) is undone here.
/// </summary>
internal static class TorchWeights
{
    /// <summary>Every tensor of a Hugging Face folder's F32 model.safetensors.</summary>
    public static Dictionary<string, Tensor> FromSafetensors(string folder)
    {
        using var file = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var info in file.Tensors)
        {
            if (info.DType != SafetensorsDType.F32)
                throw new NotSupportedException($"tensor '{info.Name}' is {info.DType}; the torch reference reads F32 checkpoints");
            weights[info.Name] = tensor(MemoryMarshal.Cast<byte, float>(file.Bytes(info)).ToArray(), info.Shape.ToArray());
        }
        return weights;
    }

    /// <summary>
    /// The weights of an F32 GGUF file. GGUF stores each head's q/k rows as interleaved RoPE pairs (llama.cpp's
    /// converter permutes them); they are put back in the half-split order <see cref="TorchLlama"/> rotates. Without
    /// an output head the embedding serves (tied), and a Mixtral file's stacked experts are cut into per-expert matrices.
    /// </summary>
    public static (LlamaConfig Config, Dictionary<string, Tensor> Weights) FromGguf(string path)
    {
        using var file = GgufFile.Open(path);
        var config = LlamaConfigReader.FromGguf(file);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string name in Names(config))
        {
            string gguf = HuggingFaceTensorNames.ToGguf(name, config)
                ?? throw new InvalidOperationException($"'{name}' has no GGUF name for this model");
            if (name == "lm_head.weight" && file.Find(gguf) is null)
                gguf = "token_embd.weight";
            weights[name] = Matrix(file, gguf, config);
        }
        return (config, weights);
    }

    /// <summary>The transformers names a dense or mixture-of-experts Llama of <paramref name="config"/> holds.</summary>
    private static IEnumerable<string> Names(LlamaConfig config)
    {
        yield return "model.embed_tokens.weight";
        yield return "model.norm.weight";
        yield return "lm_head.weight";
        for (int l = 0; l < config.BlockCount; l++)
        {
            string p = $"model.layers.{l}.";
            foreach (string attention in new[] { "input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "post_attention_layernorm" })
                yield return $"{p}{attention}.weight";
            if (!config.IsMixtureOfExperts)
            {
                foreach (string projection in new[] { "gate_proj", "up_proj", "down_proj" })
                    yield return $"{p}mlp.{projection}.weight";
                continue;
            }
            yield return p + "block_sparse_moe.gate.weight";
            for (int e = 0; e < config.ExpertCount; e++)
            {
                foreach (string projection in new[] { "w1", "w2", "w3" })
                    yield return $"{p}block_sparse_moe.experts.{e}.{projection}.weight";
            }
        }
    }

    /// <summary>Tensor <paramref name="name"/> as [rows, columns] (a vector as [n]), from a stacked expert tensor when the file merged them.</summary>
    private static Tensor Matrix(GgufFile file, string name, LlamaConfig config)
    {
        if (file.Find(name) is { } view)
        {
            var values = F32(view);
            if (view.Dimensions.Length == 1)
                return tensor(values.ToArray(), [values.Length]);
            long columns = view.Dimensions[0], rows = values.Length / columns;
            bool rotated = name.EndsWith(".attn_q.weight", StringComparison.Ordinal) || name.EndsWith(".attn_k.weight", StringComparison.Ordinal);
            return tensor(rotated ? HalfSplitRows(values, (int)columns, config.HeadDimension) : values.ToArray(), [rows, columns]);
        }
        // blk.L.ffn_gate.E.weight → expert E's slice of blk.L.ffn_gate_exps.weight ([columns, rows, experts]).
        var parts = name.Split('.');
        if (parts.Length != 5 || !int.TryParse(parts[3], out int expert))
            throw new FormatException($"'{file.Path}' has no tensor '{name}'");
        var stacked = file.Get($"{parts[0]}.{parts[1]}.{parts[2]}_exps.weight");
        if (stacked.Dimensions.Length != 3 || expert >= stacked.Dimensions[2])
            throw new FormatException($"'{file.Path}': tensor '{stacked.Name}' {stacked.ShapeText} holds no expert {expert}");
        int c = (int)stacked.Dimensions[0], r = (int)stacked.Dimensions[1];
        return tensor(F32(stacked).Slice(expert * r * c, r * c).ToArray(), [r, c]);
    }

    private static ReadOnlySpan<float> F32(TensorView view) => view.Type == GgmlType.F32
        ? view.AsF32Span()
        : throw new NotSupportedException($"tensor '{view.Name}' is {view.Type}; the torch reference reads F32 files only");

    /// <summary>GGUF row g holds transformers row <see cref="RotaryPermutation.SourceRow"/>(g): move every row back.</summary>
    private static float[] HalfSplitRows(ReadOnlySpan<float> interleaved, int columns, int headDimension)
    {
        var rows = new float[interleaved.Length];
        int count = interleaved.Length / columns;
        for (int g = 0; g < count; g++)
            interleaved.Slice(g * columns, columns).CopyTo(rows.AsSpan((int)RotaryPermutation.SourceRow(g, headDimension) * columns, columns));
        return rows;
    }
}
