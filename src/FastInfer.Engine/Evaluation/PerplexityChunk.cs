namespace FastInfer.Engine.Evaluation;

/// <summary>
/// One window of a perplexity run: the tokens evaluated from position 0 and the positions whose
/// next-token predictions are scored (position j predicts <c>Tokens[j + 1]</c>).
/// </summary>
/// <param name="Index">0-based chunk number.</param>
/// <param name="Start">offset of the window's first token in the tokenized text.</param>
public sealed record PerplexityChunk(int Index, int Start, int[] Tokens, int FirstScored)
{
    /// <summary>Positions scored: FirstScored up to the last but one.</summary>
    public int ScoredCount => Tokens.Length - 1 - FirstScored;
}
