using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Engine.Tokenizers.HuggingFace;
using FastInfer.Engine.Tokenizers.SentencePiece;

namespace FastInfer.Engine.Conversion;

/// <summary>
/// Writes a vocabulary as the tokenizer.ggml.* keys llama.cpp reads: <c>llama</c> (SentencePiece: tokens, scores,
/// token types) or <c>gpt2</c> (byte-level BPE: tokens, merges, token types, pre-tokenizer <c>llama-bpe</c>).
/// </summary>
public static class TokenizerMetadata
{
    public static void Write(GgufWriter writer, HuggingFaceVocabulary vocabulary)
    {
        if (vocabulary.SentencePiece is { } spm)
            Write(writer, spm);
        else
            Write(writer, vocabulary.ByteLevel!);
    }

    public static void Write(GgufWriter writer, SentencePieceVocabulary v)
    {
        v.Validate();
        writer.SetMetadata("tokenizer.ggml.model", GgufValue.Of("llama"))
            .SetMetadata("tokenizer.ggml.tokens", GgufValue.Of(v.Tokens))
            .SetMetadata("tokenizer.ggml.scores", GgufValue.Of(v.Scores))
            .SetMetadata("tokenizer.ggml.token_type", GgufValue.Of(v.TokenTypes))
            .SetMetadata("tokenizer.ggml.bos_token_id", GgufValue.Of((uint)v.BosId))
            .SetMetadata("tokenizer.ggml.eos_token_id", GgufValue.Of((uint)v.EosId))
            .SetMetadata("tokenizer.ggml.add_bos_token", GgufValue.Of(v.AddBos))
            .SetMetadata("tokenizer.ggml.add_space_prefix", GgufValue.Of(v.AddSpacePrefix));
        if (v.UnknownId >= 0)
            writer.SetMetadata("tokenizer.ggml.unknown_token_id", GgufValue.Of((uint)v.UnknownId));
    }

    public static void Write(GgufWriter writer, ByteLevelBpeVocabulary v)
    {
        v.Validate();
        writer.SetMetadata("tokenizer.ggml.model", GgufValue.Of("gpt2"))
            .SetMetadata("tokenizer.ggml.pre", GgufValue.Of("llama-bpe"))
            .SetMetadata("tokenizer.ggml.tokens", GgufValue.Of(v.Tokens))
            .SetMetadata("tokenizer.ggml.token_type", GgufValue.Of(v.TokenTypes))
            .SetMetadata("tokenizer.ggml.merges", GgufValue.Of(v.Merges))
            .SetMetadata("tokenizer.ggml.bos_token_id", GgufValue.Of((uint)v.BosId))
            .SetMetadata("tokenizer.ggml.eos_token_id", GgufValue.Of((uint)v.EosId))
            .SetMetadata("tokenizer.ggml.add_bos_token", GgufValue.Of(v.AddBos));
    }
}
