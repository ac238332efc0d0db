using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Engine.Tokenizers.SentencePiece;

namespace FastInfer.Engine.Tokenizers.HuggingFace;

/// <summary>
/// A Hugging Face tokenizer as one of FastInfer's two vocabulary records: SentencePiece-style BPE (Llama 2, Mistral,
/// Mixtral: "▁" pieces with byte fallback) or byte-level BPE (Llama 3). Exactly one is set. The records are what a
/// GGUF's tokenizer.ggml.* keys hold, so the converter writes them as they are.
/// </summary>
public sealed record HuggingFaceVocabulary
{
    public SentencePieceVocabulary? SentencePiece { get; init; }

    public ByteLevelBpeVocabulary? ByteLevel { get; init; }

    public int Count => SentencePiece?.Tokens.Length ?? ByteLevel!.Tokens.Length;

    public ITextTokenizer CreateTokenizer() =>
        SentencePiece is { } spm ? new SentencePieceBpeTokenizer(spm) : new ByteLevelBpeTokenizer(ByteLevel!);
}
