using FastInfer.Engine.Models;
using FastInfer.Engine.Synthesis;
using FastInfer.Engine.Tests.Formats.HuggingFace;
using FastInfer.Engine.Tests.Mixtral;
using FastInfer.Engine.Tokenizers.SentencePiece;
using FastInfer.Kernels.Ops;

namespace FastInfer.Engine.Tests.Conversion;

/// <summary>Tiny random Hugging Face folders that load end to end: weights, config.json and a tokenizer.json of the right size.</summary>
internal static class HuggingFaceFolders
{
    public static LlamaConfig Llama { get; } = new()
    {
        EmbeddingLength = 64, FeedForwardLength = 96, BlockCount = 2, HeadCount = 8, KvHeadCount = 2, VocabularySize = 300,
        ContextLength = 64, RmsEpsilon = 1e-5f, RopeTheta = 10000, RopeLayout = RopeLayout.HalfSplit,
    };

    public static LlamaConfig Mistral { get; } = Llama with { SlidingWindow = 6, RopeTheta = 1e6f };

    public static LlamaConfig Mixtral { get; } = Llama with { ExpertCount = 4, ExpertUsedCount = 2, FeedForwardLength = 64, RopeTheta = 1e6f };

    public static string ArchitectureOf(LlamaConfig config) =>
        config.IsMixtureOfExperts ? "MixtralForCausalLM" : config.SlidingWindow > 0 ? "MistralForCausalLM" : "LlamaForCausalLM";

    /// <summary>Writes the checkpoint and a SentencePiece-style tokenizer.json of a synthetic vocabulary.</summary>
    public static void Write(string folder, LlamaConfig config, int seed)
    {
        TinyCheckpoint.WriteRandom(folder, config, new TinyCheckpointLayout { Architecture = ArchitectureOf(config) }, seed);
        var synthetic = ModelVocabulary.Synthetic(config.VocabularySize);
        var vocabulary = new SentencePieceVocabulary(synthetic.Tokens, synthetic.Scores, synthetic.TokenTypes);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), TokenizerJsonFixtures.SentencePiece(vocabulary, modernLayout: false));
    }
}
