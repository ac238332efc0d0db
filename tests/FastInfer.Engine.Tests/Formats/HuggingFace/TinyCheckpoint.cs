using System.Globalization;
using FastInfer.Engine.Formats.HuggingFace;
using FastInfer.Engine.Formats.Safetensors;
using FastInfer.Engine.Models;
using FastInfer.Engine.Tests.Models;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Engine.Tests.Formats.HuggingFace;

/// <summary>How <see cref="TinyCheckpoint.Write"/> lays a random model out on disk.</summary>
internal sealed record TinyCheckpointLayout
{
    public string Architecture { get; init; } = "LlamaForCausalLM";
    /// <summary>Values are rounded to the stored type in place first, so the reference sees exactly what the file holds.</summary>
    public SafetensorsDType MatrixType { get; init; } = SafetensorsDType.F32;
    public SafetensorsDType NormType { get; init; } = SafetensorsDType.F32;
    public bool Tied { get; init; }
    /// <summary>Write lm_head even when tied (transformers ignores it then).</summary>
    public bool WriteLmHeadWhenTied { get; init; }
    public bool Sharded { get; init; }
    public bool WithTokenizer { get; init; }
    /// <summary>Extra tensors, by Hugging Face name, to add to the (first) file.</summary>
    public string[] ExtraTensors { get; init; } = [];
    /// <summary>Tensors to leave out, by Hugging Face name.</summary>
    public string[] OmitTensors { get; init; } = [];
}

/// <summary>
/// Writes a <see cref="RandomModel"/> as a Hugging Face folder: config.json with the same hyperparameters and
/// the weights under HF names in row-major [out, in] shapes, optionally sharded with an index.
/// </summary>
internal static class TinyCheckpoint
{
    /// <summary>Writes a fresh seeded random model of <paramref name="config"/> and returns its reference.</summary>
    public static ReferenceLlama WriteRandom(string folder, LlamaConfig config, TinyCheckpointLayout layout, int seed)
    {
        var (source, reference) = RandomModel.Create(config, seed, tiedOutput: layout.Tied);
        source.Dispose();
        Write(folder, reference, layout);
        reference.RoundsActivationsToHalf = layout.MatrixType == SafetensorsDType.F16;
        return reference;
    }

    public static void Write(string folder, ReferenceLlama model, TinyCheckpointLayout layout)
    {
        var c = model.Config;
        File.WriteAllText(Path.Combine(folder, HuggingFaceConfig.FileName), ConfigJson(c, layout));
        if (layout.WithTokenizer)
            File.WriteAllText(Path.Combine(folder, HuggingFaceCheckpoint.TokenizerFileName), "{}");

        var tensors = new List<(string Name, float[] Values, long[] Shape, bool Norm)>();
        void Matrix(string name, float[] values, int rows, int columns) => tensors.Add((name, values, [rows, columns], false));
        void Norm(string name, float[] values) => tensors.Add((name, values, [values.Length], true));

        int dim = c.EmbeddingLength, kv = c.KvDimension, ffn = c.FeedForwardLength, vocab = c.VocabularySize;
        Matrix("model.embed_tokens.weight", model.Embedding, vocab, dim);
        for (int l = 0; l < c.BlockCount; l++)
        {
            var w = model.Layers[l];
            string p = $"model.layers.{l}.";
            Norm(p + "input_layernorm.weight", w.AttentionNorm);
            Matrix(p + "self_attn.q_proj.weight", w.Query, dim, dim);
            Matrix(p + "self_attn.k_proj.weight", w.Key, kv, dim);
            Matrix(p + "self_attn.v_proj.weight", w.Value, kv, dim);
            Matrix(p + "self_attn.o_proj.weight", w.AttentionOutput, dim, dim);
            Norm(p + "post_attention_layernorm.weight", w.FfnNorm);
            if (w.Experts is null)
            {
                Matrix(p + "mlp.gate_proj.weight", w.Gate!, ffn, dim);
                Matrix(p + "mlp.up_proj.weight", w.Up!, ffn, dim);
                Matrix(p + "mlp.down_proj.weight", w.Down!, dim, ffn);
            }
            else
            {
                Matrix(p + "block_sparse_moe.gate.weight", w.Router!, c.ExpertCount, dim);
                for (int e = 0; e < w.Experts.Length; e++)
                {
                    Matrix($"{p}block_sparse_moe.experts.{e}.w1.weight", w.Experts[e].Gate, ffn, dim);
                    Matrix($"{p}block_sparse_moe.experts.{e}.w2.weight", w.Experts[e].Down, dim, ffn);
                    Matrix($"{p}block_sparse_moe.experts.{e}.w3.weight", w.Experts[e].Up, ffn, dim);
                }
            }
        }
        Norm("model.norm.weight", model.OutputNorm);
        if (!layout.Tied || layout.WriteLmHeadWhenTied)
            Matrix("lm_head.weight", layout.Tied ? new float[vocab * dim] : model.Output, vocab, dim);
        foreach (var extra in layout.ExtraTensors)
            tensors.Add((extra, [0.5f, 0.25f], [2], false));
        tensors.RemoveAll(t => layout.OmitTensors.Contains(t.Name));

        var writers = new[] { new SafetensorsWriter(), new SafetensorsWriter() };
        var weightMap = new List<string>();
        for (int i = 0; i < tensors.Count; i++)
        {
            var (name, values, shape, norm) = tensors[i];
            var type = norm ? layout.NormType : layout.MatrixType;
            RoundInPlace(values, type);
            int shard = layout.Sharded && i >= tensors.Count / 2 ? 1 : 0;
            writers[shard].AddFloats(name, type, values, shape);
            weightMap.Add($"\"{name}\": \"{ShardName(shard)}\"");
        }
        if (!layout.Sharded)
        {
            writers[0].Write(Path.Combine(folder, HuggingFaceCheckpoint.SingleFileName));
            return;
        }
        writers[0].Write(Path.Combine(folder, ShardName(0)));
        writers[1].Write(Path.Combine(folder, ShardName(1)));
        File.WriteAllText(Path.Combine(folder, SafetensorsFileSet.IndexFileName),
            "{\"metadata\": {}, \"weight_map\": {" + string.Join(", ", weightMap) + "}}");
    }

    public static string ShardName(int shard) => $"model-0000{shard + 1}-of-00002.safetensors";

    private static void RoundInPlace(float[] values, SafetensorsDType type)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = type switch
            {
                SafetensorsDType.F16 => Fp16.HalfToFloat(Fp16.FloatToHalf(values[i])),
                SafetensorsDType.BF16 => Fp16.BFloat16ToFloat(Fp16.FloatToBFloat16(values[i])),
                _ => values[i],
            };
        }
    }

    private static string ConfigJson(LlamaConfig c, TinyCheckpointLayout layout)
    {
        string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);
        string moe = c.IsMixtureOfExperts ? $"\"num_local_experts\": {c.ExpertCount}, \"num_experts_per_tok\": {c.ExpertUsedCount}," : "";
        string window = layout.Architecture == "LlamaForCausalLM" ? "" : $"\"sliding_window\": {(c.SlidingWindow == 0 ? "null" : c.SlidingWindow)},";
        return $$"""
            {
              "architectures": ["{{layout.Architecture}}"],
              "hidden_act": "silu",
              "hidden_size": {{c.EmbeddingLength}},
              "intermediate_size": {{c.FeedForwardLength}},
              "max_position_embeddings": {{c.ContextLength}},
              "num_attention_heads": {{c.HeadCount}},
              "num_hidden_layers": {{c.BlockCount}},
              "num_key_value_heads": {{c.KvHeadCount}},
              {{moe}}
              {{window}}
              "rms_norm_eps": {{F(c.RmsEpsilon)}},
              "rope_scaling": null,
              "rope_theta": {{F(c.RopeTheta)}},
              "tie_word_embeddings": {{(layout.Tied ? "true" : "false")}},
              "torch_dtype": "bfloat16",
              "vocab_size": {{c.VocabularySize}}
            }
            """;
    }
}
