namespace FastInfer.Engine.Tokenizers.SentencePiece;

/// <summary>
/// A SentencePiece BPE vocabulary as plain arrays: exactly what a GGUF with <c>tokenizer.ggml.model = llama</c>
/// holds (<c>tokenizer.ggml.tokens</c>, <c>.scores</c>, <c>.token_type</c>, <c>.bos_token_id</c>, <c>.eos_token_id</c>,
/// <c>.unknown_token_id</c>, <c>.add_space_prefix</c>, <c>.add_bos_token</c>). Pieces spell spaces as ▁ (U+2581) and
/// raw bytes as <c>&lt;0xNN&gt;</c>; <see cref="TokenTypes"/> uses <see cref="TokenType"/>'s numbers.
/// <see cref="EndOfGenerationIds"/> may be left null: EOS alone then ends a generation.
/// </summary>
public sealed record SentencePieceVocabulary(
    string[] Tokens,
    float[] Scores,
    int[] TokenTypes,
    int BosId = 1,
    int EosId = 2,
    int UnknownId = 0,
    bool AddSpacePrefix = true,
    bool AddBos = true,
    int[]? EndOfGenerationIds = null)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first inconsistency.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Tokens);
        ArgumentNullException.ThrowIfNull(Scores);
        ArgumentNullException.ThrowIfNull(TokenTypes);
        if (Tokens.Length == 0)
            throw new ArgumentException("the vocabulary has no tokens", nameof(Tokens));
        if (Scores.Length != Tokens.Length)
            throw new ArgumentException($"{Scores.Length} scores for {Tokens.Length} tokens", nameof(Scores));
        if (TokenTypes.Length != Tokens.Length)
            throw new ArgumentException($"{TokenTypes.Length} token types for {Tokens.Length} tokens", nameof(TokenTypes));
        for (int i = 0; i < Tokens.Length; i++)
        {
            if (Tokens[i] is null)
                throw new ArgumentException($"token {i} is null", nameof(Tokens));
            if (!Enum.IsDefined((TokenType)TokenTypes[i]))
                throw new ArgumentException($"token {i} ('{Tokens[i]}') has unknown type {TokenTypes[i]}", nameof(TokenTypes));
            if (float.IsNaN(Scores[i]))
                throw new ArgumentException($"token {i} ('{Tokens[i]}') has a NaN score", nameof(Scores));
        }
        CheckId(BosId, nameof(BosId));
        CheckId(EosId, nameof(EosId));
        if (UnknownId != -1)
            CheckId(UnknownId, nameof(UnknownId));
        foreach (int id in EndOfGenerationIds ?? [])
            CheckId(id, nameof(EndOfGenerationIds));
    }

    private void CheckId(int id, string name)
    {
        if ((uint)id >= (uint)Tokens.Length)
            throw new ArgumentException($"{name} {id} is outside the vocabulary of {Tokens.Length}", name);
    }
}
