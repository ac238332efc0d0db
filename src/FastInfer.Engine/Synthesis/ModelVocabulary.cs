using FastInfer.Engine.Formats.Gguf;

namespace FastInfer.Engine.Synthesis;

/// <summary>
/// A SentencePiece-style ("llama") vocabulary as GGUF stores it: pieces, scores and llama.cpp token types.
/// </summary>
public sealed record ModelVocabulary(string[] Tokens, float[] Scores, int[] TokenTypes, int BosId = 1, int EosId = 2, int UnknownId = 0)
{
    // llama.cpp's llama_token_type values.
    public const int Normal = 1, Unknown = 2, Control = 3, Byte = 6;

    private const int SpecialCount = 3;
    private const int ByteTokenCount = 256;

    public int Count => Tokens.Length;

    /// <summary>
    /// &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the 256 byte tokens &lt;0x00&gt;..&lt;0xFF&gt; (when they fit), then unique made-up pieces
    /// "▁a", "a", "▁b", … "▁aa", … with falling scores, like a trained SentencePiece model's.
    /// </summary>
    public static ModelVocabulary Synthetic(int size)
    {
        if (size < SpecialCount + 1)
            throw new ArgumentOutOfRangeException(nameof(size), $"a vocabulary needs at least {SpecialCount + 1} tokens, got {size}");
        var tokens = new string[size];
        var scores = new float[size];
        var types = new int[size];
        tokens[0] = "<unk>"; types[0] = Unknown;
        tokens[1] = "<s>"; types[1] = Control;
        tokens[2] = "</s>"; types[2] = Control;
        int next = SpecialCount;
        if (size >= SpecialCount + ByteTokenCount + 1)
        {
            for (int b = 0; b < ByteTokenCount; b++, next++)
            {
                tokens[next] = $"<0x{b:X2}>";
                types[next] = Byte;
            }
        }
        for (int piece = 0; next < size; piece++, next++)
        {
            tokens[next] = (piece % 2 == 0 ? "▁" : "") + Letters(piece / 2);
            types[next] = Normal;
            scores[next] = -piece;
        }
        return new ModelVocabulary(tokens, scores, types);
    }

    /// <summary>The vocabulary stored in a GGUF file's tokenizer.ggml.* keys.</summary>
    public static ModelVocabulary FromGguf(GgufFile file)
    {
        var tokens = file.GetMetadata("tokenizer.ggml.tokens", v => v.AsStringArray());
        var scores = file.TryGetMetadata("tokenizer.ggml.scores", v => v.AsFloatArray(), out var s) ? s : new float[tokens.Length];
        var types = file.TryGetMetadata("tokenizer.ggml.token_type", v => v.AsIntArray(), out var t) ? t : Enumerable.Repeat(Normal, tokens.Length).ToArray();
        if (scores.Length != tokens.Length || types.Length != tokens.Length)
            throw new GgufFormatException("metadata 'tokenizer.ggml.scores'/'token_type'", file.OffsetOf("tokenizer.ggml.scores"),
                $"{tokens.Length} tokens but {scores.Length} scores and {types.Length} token types");
        return new ModelVocabulary(tokens, scores, types,
            file.TryGetInt32("tokenizer.ggml.bos_token_id", out int bos) ? bos : 1,
            file.TryGetInt32("tokenizer.ggml.eos_token_id", out int eos) ? eos : 2,
            file.TryGetInt32("tokenizer.ggml.unknown_token_id", out int unk) ? unk : 0);
    }

    /// <summary>Writes tokenizer.ggml.* as llama.cpp's SentencePiece ("llama") tokenizer reads them.</summary>
    public void WriteTo(GgufWriter writer)
    {
        if (Scores.Length != Count || TokenTypes.Length != Count)
            throw new ArgumentException($"{Count} tokens but {Scores.Length} scores and {TokenTypes.Length} token types");
        writer.SetMetadata("tokenizer.ggml.model", GgufValue.Of("llama"))
            .SetMetadata("tokenizer.ggml.tokens", GgufValue.Of(Tokens))
            .SetMetadata("tokenizer.ggml.scores", GgufValue.Of(Scores))
            .SetMetadata("tokenizer.ggml.token_type", GgufValue.Of(TokenTypes))
            .SetMetadata("tokenizer.ggml.bos_token_id", GgufValue.Of((uint)BosId))
            .SetMetadata("tokenizer.ggml.eos_token_id", GgufValue.Of((uint)EosId))
            .SetMetadata("tokenizer.ggml.unknown_token_id", GgufValue.Of((uint)UnknownId));
    }

    // Bijective base 26: 0 → "a", 25 → "z", 26 → "aa", so every index gives a different string.
    private static string Letters(int index)
    {
        var chars = new Stack<char>();
        for (int n = index + 1; n > 0; n = (n - 1) / 26)
            chars.Push((char)('a' + (n - 1) % 26));
        return new string(chars.ToArray());
    }
}
