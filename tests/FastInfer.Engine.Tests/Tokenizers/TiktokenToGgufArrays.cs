using FastInfer.Engine.Tokenizers;
using FastInfer.Engine.Tokenizers.ByteLevel;

namespace FastInfer.Engine.Tests.Tokenizers;

/// <summary>
/// Turns tiktoken ranks into what a GGUF <c>gpt2</c> vocabulary holds: GPT-2-spelled tokens and a rank-ordered
/// merge list. Every way of cutting a token into two tokens is a merge, ranked by the merged token's rank and then
/// by the parts' ranks (as Hugging Face converts tiktoken files); one merge per token is not enough, because some
/// tokens (".:.:") are never reached by merging lower-ranked pairs only. With all cuts, "merge the pair with the
/// lowest merge rank" picks the same pair as tiktoken's "merge the pair whose result has the lowest rank".
/// </summary>
public static class TiktokenToGgufArrays
{
    public static ByteLevelBpeVocabulary Convert(byte[][] ranks)
    {
        var specials = Llama3SpecialTokens.Names();
        var tokens = new string[ranks.Length + specials.Length];
        var types = new int[tokens.Length];
        var rankOf = new Dictionary<string, int>(ranks.Length, StringComparer.Ordinal);
        for (int r = 0; r < ranks.Length; r++)
        {
            tokens[r] = GptByteUnicode.Encode(ranks[r]);
            types[r] = (int)TokenType.Normal;
            rankOf[tokens[r]] = r;
        }
        for (int i = 0; i < specials.Length; i++)
        {
            tokens[ranks.Length + i] = specials[i];
            types[ranks.Length + i] = (int)TokenType.Control;
        }

        var merges = new List<string>(ranks.Length * 3);
        var splits = new List<(int Left, int Right, int Split)>();
        for (int r = 0; r < ranks.Length; r++)
        {
            string token = tokens[r];
            splits.Clear();
            for (int split = 1; split < token.Length; split++)
            {
                if (rankOf.TryGetValue(token[..split], out int left) && rankOf.TryGetValue(token[split..], out int right))
                    splits.Add((left, right, split));
            }
            splits.Sort();
            foreach (var (_, _, split) in splits)
                merges.Add(token[..split] + " " + token[split..]);
        }
        int bos = ranks.Length, eos = ranks.Length + 1;
        return new ByteLevelBpeVocabulary(tokens, [.. merges], types, bos, eos, "llama-bpe", AddBos: true);
    }
}
