using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Engine.Tokenizers.SentencePiece;

namespace FastInfer.Engine.Tokenizers;

/// <summary>
/// The tokenizer a GGUF file carries in its <c>tokenizer.ggml.*</c> metadata: SentencePiece BPE for
/// <c>tokenizer.ggml.model = llama</c> (Llama 2, Mistral, Mixtral, TinyLlama) and byte-level BPE for
/// <c>gpt2</c> (Llama 3).
/// </summary>
public static class GgufTokenizer
{
    public static ITextTokenizer FromMetadata(GgufFile file)
    {
        if (!file.TryGetString("tokenizer.ggml.model", out var model))
            throw new FormatException("GGUF metadata 'tokenizer.ggml.model' is missing: the file has no tokenizer; give a tokenizer file");
        string[] tokens = Array("tokenizer.ggml.tokens", file, v => v.AsStringArray());
        int[] types = file.Metadata.TryGetValue("tokenizer.ggml.token_type", out var typeValue)
            ? typeValue.AsIntArray()
            : Enumerable.Repeat((int)TokenType.Normal, tokens.Length).ToArray();
        bool addBos = !file.TryGetBool("tokenizer.ggml.add_bos_token", out var bos) || bos;
        try
        {
            switch (model)
            {
                case "llama":
                {
                    float[] scores = Array("tokenizer.ggml.scores", file, v => v.AsFloatArray());
                    var vocabulary = new SentencePieceVocabulary(tokens, scores, types,
                        BosId: Id(file, "tokenizer.ggml.bos_token_id", 1),
                        EosId: Id(file, "tokenizer.ggml.eos_token_id", 2),
                        UnknownId: Id(file, "tokenizer.ggml.unknown_token_id", 0),
                        AddSpacePrefix: !file.TryGetBool("tokenizer.ggml.add_space_prefix", out var prefix) || prefix,
                        AddBos: addBos);
                    return new SentencePieceBpeTokenizer(vocabulary);
                }
                case "gpt2":
                {
                    string[] merges = Array("tokenizer.ggml.merges", file, v => v.AsStringArray());
                    string pre = file.TryGetString("tokenizer.ggml.pre", out var p) ? p : "llama-bpe";
                    if (pre is not ("llama-bpe" or "llama3" or "default"))
                        throw new NotSupportedException($"byte-level BPE pre-tokenizer '{pre}' is not supported; FastInfer has Llama 3's (llama-bpe)");
                    var vocabulary = new ByteLevelBpeVocabulary(tokens, merges, types,
                        BosId: Id(file, "tokenizer.ggml.bos_token_id", 128000),
                        EosId: Id(file, "tokenizer.ggml.eos_token_id", 128001),
                        PreTokenizer: "llama-bpe",
                        AddBos: addBos);
                    return new ByteLevelBpeTokenizer(vocabulary);
                }
                default:
                    throw new NotSupportedException($"tokenizer model '{model}' is not supported; FastInfer reads 'llama' (SentencePiece) and 'gpt2' (byte-level BPE)");
            }
        }
        catch (ArgumentException e)
        {
            // The vocabulary records validate their arrays; in a file that is a format error.
            throw new FormatException($"GGUF tokenizer metadata (tokenizer.ggml.*) is invalid: {e.Message}", e);
        }
    }

    private static T Array<T>(string key, GgufFile file, Func<GgufValue, T> read) =>
        file.Metadata.TryGetValue(key, out var value)
            ? read(value)
            : throw new FormatException($"GGUF metadata '{key}' is missing; the tokenizer needs it");

    private static int Id(GgufFile file, string key, int fallback) =>
        file.TryGetInt32(key, out var id) ? id : fallback;
}
