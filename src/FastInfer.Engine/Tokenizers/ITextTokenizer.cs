namespace FastInfer.Engine.Tokenizers;

/// <summary>
/// Text ⇄ token ids for one model vocabulary. Implementations are immutable after construction and
/// safe to share between threads; per-generation state lives in <see cref="ITokenStreamDecoder"/>.
/// </summary>
public interface ITextTokenizer
{
    int VocabularySize { get; }

    int BosId { get; }

    int EosId { get; }

    /// <summary>Whether the vocabulary asks for a BOS token before a prompt (GGUF <c>tokenizer.ggml.add_bos_token</c>).</summary>
    bool AddBosByDefault { get; }

    /// <summary>Ids that end a generation: EOS plus end-of-turn tokens such as Llama 3's <c>&lt;|eot_id|&gt;</c>.</summary>
    IReadOnlySet<int> EndOfGenerationIds { get; }

    bool IsEndOfGeneration(int id) => EndOfGenerationIds.Contains(id);

    /// <summary>
    /// Encodes <paramref name="text"/>. With <paramref name="parseSpecialTokens"/> false, text such as
    /// <c>&lt;s&gt;</c> or <c>&lt;|eot_id|&gt;</c> is ordinary text; with it true, such strings become their
    /// control token ids (as llama.cpp's <c>parse_special</c>).
    /// </summary>
    int[] Encode(string text, bool addBos, bool parseSpecialTokens);

    int[] Encode(string text, bool addBos) => Encode(text, addBos, parseSpecialTokens: false);

    /// <summary>The text of <paramref name="ids"/>; control tokens print nothing, as a streamed generation shows them.</summary>
    string Decode(ReadOnlySpan<int> ids);

    /// <summary>The vocabulary's own spelling of a token (<c>▁Hello</c>, <c>&lt;0x0A&gt;</c>, <c>&lt;|eot_id|&gt;</c>).</summary>
    string TokenText(int id);

    /// <summary>A decoder for one generation: feed ids one by one and print what each returns.</summary>
    ITokenStreamDecoder CreateStreamDecoder();
}
