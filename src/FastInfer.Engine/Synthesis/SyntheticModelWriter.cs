using FastInfer.Engine.Conversion;
using FastInfer.Engine.Formats.Gguf;
using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Engine.Synthesis;

/// <summary>
/// Writes a complete llama-architecture GGUF with seeded random weights: the layout, metadata and tokenizer
/// llama.cpp expects, so real-sized models can be benchmarked and cross-checked without downloading weights.
/// Values are scaled like a fresh initialisation (weights 0.02·N(0,1), norms 1 + 0.02·N(0,1)) so activations stay sane.
/// Tensors are generated while they are written, so memory stays small whatever the model size.
/// </summary>
public static class SyntheticModelWriter
{
    private const float WeightStd = 0.02f;
    private const float NormNoiseStd = 0.02f;

    /// <param name="progress">Optional (bytes written, file size) reports while the tensors are generated.</param>
    public static void Write(SyntheticModelShape shape, GgmlType type, int seed, string path, ModelVocabulary? vocabulary = null,
        Action<long, long>? progress = null)
    {
        var writer = CreateWriter(shape, type, seed, vocabulary);
        writer.Progress = progress;
        writer.Write(path);
    }

    /// <summary>The writer with every key and (lazily generated) tensor added, for writing to any stream.</summary>
    public static GgufWriter CreateWriter(SyntheticModelShape shape, GgmlType type, int seed, ModelVocabulary? vocabulary = null)
    {
        var config = shape.Config;
        config.Validate();
        if (!Quantizer.CanQuantizeTo(type))
            throw new NotSupportedException($"synthetic models cannot be written as {type}");
        vocabulary ??= ModelVocabulary.Synthetic(config.VocabularySize);
        if (vocabulary.Count != config.VocabularySize)
            throw new ArgumentException($"the vocabulary has {vocabulary.Count} tokens but the shape needs {config.VocabularySize}");

        var writer = new GgufWriter();
        LlamaHyperparameters.Write(writer, config, type);
        writer.SetMetadata("general.name", GgufValue.Of($"synthetic {shape.Name} (seed {seed})"));
        vocabulary.WriteTo(writer);

        long dim = config.EmbeddingLength, ffn = config.FeedForwardLength, vocab = config.VocabularySize;
        void Weight(string name, params long[] dims) =>
            writer.AddTensor(name, StorageType(type, dims[0]), dims, Random(seed, name, 0f, WeightStd));
        void Norm(string name, long length) =>
            writer.AddTensor(name, GgmlType.F32, [length], Random(seed, name, 1f, NormNoiseStd));

        Weight("token_embd.weight", dim, vocab);
        for (int l = 0; l < config.BlockCount; l++)
        {
            string blk = $"blk.{l}.";
            Norm(blk + "attn_norm.weight", dim);
            Weight(blk + "attn_q.weight", dim, dim);
            Weight(blk + "attn_k.weight", dim, config.KvDimension);
            Weight(blk + "attn_v.weight", dim, config.KvDimension);
            Weight(blk + "attn_output.weight", dim, dim);
            Norm(blk + "ffn_norm.weight", dim);
            if (config.IsMixtureOfExperts)
            {
                // The router stays F32 (llama.cpp keeps it unquantized); experts are merged 3-D tensors, expert outermost.
                writer.AddTensor(blk + "ffn_gate_inp.weight", GgmlType.F32, [dim, config.ExpertCount], Random(seed, blk + "ffn_gate_inp.weight", 0f, WeightStd));
                Weight(blk + "ffn_gate_exps.weight", dim, ffn, config.ExpertCount);
                Weight(blk + "ffn_down_exps.weight", ffn, dim, config.ExpertCount);
                Weight(blk + "ffn_up_exps.weight", dim, ffn, config.ExpertCount);
            }
            else
            {
                Weight(blk + "ffn_gate.weight", dim, ffn);
                Weight(blk + "ffn_down.weight", ffn, dim);
                Weight(blk + "ffn_up.weight", dim, ffn);
            }
        }
        Norm("output_norm.weight", dim);
        Weight("output.weight", dim, vocab);
        return writer;
    }

    /// <summary>The requested type when rows divide into its blocks, else F16 (as llama.cpp's quantizer falls back).</summary>
    public static GgmlType StorageType(GgmlType requested, long rowLength) =>
        rowLength % GgmlTypeTraits.BlockSize(requested) == 0 ? requested : GgmlType.F16;

    private static TensorFill Random(int seed, string name, float mean, float std)
    {
        var normal = SeededNormal.For(seed, name);
        return (_, rows) => normal.Fill(rows, mean, std);
    }
}
