namespace FastInfer.Engine.Tokenizers.ByteLevel;

/// <summary>
/// A byte-level BPE vocabulary as plain arrays: what a GGUF with <c>tokenizer.ggml.model = gpt2</c> holds
/// (<c>tokenizer.ggml.tokens</c> in GPT-2 byte-to-unicode spelling, <c>.merges</c> as "left right" strings in rank
/// order, <c>.token_type</c>, <c>.bos_token_id</c>, <c>.eos_token_id</c>, <c>.pre</c>, <c>.add_bos_token</c>).
/// <see cref="EndOfGenerationIds"/> may be left null: EOS and the vocabulary's end-of-turn control tokens are used.
/// </summary>
public sealed record ByteLevelBpeVocabulary(
    string[] Tokens,
    string[] Merges,
    int[] TokenTypes,
    int BosId,
    int EosId,
    string PreTokenizer = "llama-bpe",
    bool AddBos = true,
    int[]? EndOfGenerationIds = null)
{
    /// <summary>Control tokens that end a turn, as llama.cpp recognises them by spelling.</summary>
    public static IReadOnlyList<string> EndOfTurnSpellings { get; } =
        ["<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|endoftext|>", "<|im_end|>", "<end_of_turn>"];

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first inconsistency.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Tokens);
        ArgumentNullException.ThrowIfNull(Merges);
        ArgumentNullException.ThrowIfNull(TokenTypes);
        if (Tokens.Length == 0)
            throw new ArgumentException("the vocabulary has no tokens", nameof(Tokens));
        if (TokenTypes.Length != Tokens.Length)
            throw new ArgumentException($"{TokenTypes.Length} token types for {Tokens.Length} tokens", nameof(TokenTypes));
        for (int i = 0; i < Tokens.Length; i++)
        {
            if (string.IsNullOrEmpty(Tokens[i]))
                throw new ArgumentException($"token {i} is empty", nameof(Tokens));
            if (!Enum.IsDefined((TokenType)TokenTypes[i]))
                throw new ArgumentException($"token {i} ('{Tokens[i]}') has unknown type {TokenTypes[i]}", nameof(TokenTypes));
        }
        if ((uint)BosId >= (uint)Tokens.Length)
            throw new ArgumentException($"BOS id {BosId} is outside the vocabulary of {Tokens.Length}", nameof(BosId));
        if ((uint)EosId >= (uint)Tokens.Length)
            throw new ArgumentException($"EOS id {EosId} is outside the vocabulary of {Tokens.Length}", nameof(EosId));
        foreach (int id in EndOfGenerationIds ?? [])
        {
            if ((uint)id >= (uint)Tokens.Length)
                throw new ArgumentException($"end-of-generation id {id} is outside the vocabulary of {Tokens.Length}", nameof(EndOfGenerationIds));
        }
        if (!Llama3PreTokenizer.GgufNames.Contains(PreTokenizer))
            throw new NotSupportedException(
                $"pre-tokenizer '{PreTokenizer}' is not supported; supported: {string.Join(", ", Llama3PreTokenizer.GgufNames)}");
    }
}
