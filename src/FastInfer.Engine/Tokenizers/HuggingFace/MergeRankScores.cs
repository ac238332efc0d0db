namespace FastInfer.Engine.Tokenizers.HuggingFace;

/// <summary>
/// SentencePiece scores for a vocabulary that Hugging Face stores as a BPE merge list. HF's BPE applies the
/// adjacent pair with the lowest merge rank; SentencePiece (and our <c>SentencePieceBpeTokenizer</c>, like
/// llama.cpp) merges the pair whose merged piece has the highest score. Giving each piece the score
/// −(rank of the first merge that produces it) makes both pick the same pair: HF's SentencePiece converter lists
/// every split of a piece whose halves are in the vocabulary, sorted by the merged piece's id, so all merges of one
/// piece are adjacent in rank. (Scoring by vocabulary order instead would agree for converted SentencePiece files but
/// not for BPE files trained by the tokenizers library, whose merge order is not their id order.)
/// </summary>
internal static class MergeRankScores
{
    /// <summary>
    /// Scores for <paramref name="tokens"/>; multi-character normal pieces that no merge produces become
    /// <see cref="TokenType.Unused"/> in <paramref name="types"/>, because HF's BPE can never emit them by merging
    /// while a score-driven merger would.
    /// </summary>
    public static float[] Derive(string[] tokens, int[] types, IReadOnlyList<(string Left, string Right)> merges, IReadOnlyDictionary<string, int> ids)
    {
        var scores = new float[tokens.Length];
        var produced = new bool[tokens.Length];
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!ids.TryGetValue(left + right, out int id))
                throw new FormatException($"tokenizer.json: merge {rank} ('{left}' '{right}') produces '{left + right}', which is not in the vocabulary");
            if (produced[id])
                continue;
            produced[id] = true;
            scores[id] = -rank;
        }
        // Pieces that are never merged results keep a score below every merge: they only ever start a word.
        float floor = -merges.Count;
        for (int id = 0; id < tokens.Length; id++)
        {
            if (produced[id])
                continue;
            scores[id] = floor - id;
            if ((TokenType)types[id] == TokenType.Normal && !IsOneCharacter(tokens[id]))
                types[id] = (int)TokenType.Unused;
        }
        return scores;
    }

    /// <summary>True for one Unicode character (a surrogate pair counts as one): the symbols BPE starts from.</summary>
    private static bool IsOneCharacter(string text) =>
        text.Length == 1 || text.Length == 2 && char.IsSurrogatePair(text[0], text[1]);
}
