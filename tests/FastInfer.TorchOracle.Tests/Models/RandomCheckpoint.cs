using System.Globalization;
using FastInfer.Engine.Formats.Safetensors;
using FastInfer.Engine.Models;

namespace FastInfer.TorchOracle.Tests.Models;

/// <summary>
/// A seeded random Hugging Face checkpoint (config.json + model.safetensors, F32) of a Llama, Mistral or Mixtral
/// config, written under transformers' tensor names. Both engines read the weights from this one file.
/// </summary>
internal static class RandomCheckpoint
{
    public static void Write(string folder, LlamaConfig c, int seed)
    {
        var random = new Random(seed);
        var writer = new SafetensorsWriter();
        void Matrix(string name, int rows, int columns, double scale) =>
            writer.AddFloats(name, SafetensorsDType.F32, Values(random, rows * columns, scale, 0), rows, columns);
        void Norm(string name) => writer.AddFloats(name, SafetensorsDType.F32, Values(random, c.EmbeddingLength, 0.1, 1), c.EmbeddingLength);

        int dim = c.EmbeddingLength, kv = c.KvDimension, ffn = c.FeedForwardLength;
        double s = 1 / Math.Sqrt(dim);
        Matrix("model.embed_tokens.weight", c.VocabularySize, dim, 1);
        for (int l = 0; l < c.BlockCount; l++)
        {
            string p = $"model.layers.{l}.";
            Norm(p + "input_layernorm.weight");
            Matrix(p + "self_attn.q_proj.weight", dim, dim, s);
            Matrix(p + "self_attn.k_proj.weight", kv, dim, s);
            Matrix(p + "self_attn.v_proj.weight", kv, dim, s);
            Matrix(p + "self_attn.o_proj.weight", dim, dim, s);
            Norm(p + "post_attention_layernorm.weight");
            if (!c.IsMixtureOfExperts)
            {
                Matrix(p + "mlp.gate_proj.weight", ffn, dim, s);
                Matrix(p + "mlp.up_proj.weight", ffn, dim, s);
                Matrix(p + "mlp.down_proj.weight", dim, ffn, 1 / Math.Sqrt(ffn));
                continue;
            }
            // A wider router spreads the experts' probabilities, so top-k choices are not near-ties.
            Matrix(p + "block_sparse_moe.gate.weight", c.ExpertCount, dim, 4 * s);
            for (int e = 0; e < c.ExpertCount; e++)
            {
                Matrix($"{p}block_sparse_moe.experts.{e}.w1.weight", ffn, dim, s);
                Matrix($"{p}block_sparse_moe.experts.{e}.w2.weight", dim, ffn, 1 / Math.Sqrt(ffn));
                Matrix($"{p}block_sparse_moe.experts.{e}.w3.weight", ffn, dim, s);
            }
        }
        Norm("model.norm.weight");
        Matrix("lm_head.weight", c.VocabularySize, dim, 4 * s);
        writer.Write(Path.Combine(folder, "model.safetensors"));
        File.WriteAllText(Path.Combine(folder, "config.json"), ConfigJson(c));
    }

    private static float[] Values(Random random, int count, double scale, double offset)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(offset + (random.NextDouble() * 2 - 1) * scale);
        return values;
    }

    private static string ConfigJson(LlamaConfig c)
    {
        string architecture = c.IsMixtureOfExperts ? "MixtralForCausalLM" : c.SlidingWindow > 0 ? "MistralForCausalLM" : "LlamaForCausalLM";
        string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);
        string moe = c.IsMixtureOfExperts ? $"\"num_local_experts\": {c.ExpertCount}, \"num_experts_per_tok\": {c.ExpertUsedCount}," : "";
        string window = architecture == "LlamaForCausalLM" ? "" : $"\"sliding_window\": {(c.SlidingWindow == 0 ? "null" : c.SlidingWindow)},";
        return $$"""
            {"architectures": ["{{architecture}}"], "hidden_act": "silu", "hidden_size": {{c.EmbeddingLength}},
             "intermediate_size": {{c.FeedForwardLength}}, "max_position_embeddings": {{c.ContextLength}},
             "num_attention_heads": {{c.HeadCount}}, "num_hidden_layers": {{c.BlockCount}}, "num_key_value_heads": {{c.KvHeadCount}},
             {{moe}} {{window}} "rms_norm_eps": {{F(c.RmsEpsilon)}}, "rope_theta": {{F(c.RopeTheta)}}, "rope_scaling": null,
             "tie_word_embeddings": false, "vocab_size": {{c.VocabularySize}}}
            """;
    }
}
