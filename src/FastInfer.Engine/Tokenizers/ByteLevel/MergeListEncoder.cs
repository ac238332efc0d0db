using System.Text.RegularExpressions;
using FastInfer.Engine.Tokenizers.Common;

namespace FastInfer.Engine.Tokenizers.ByteLevel;

/// <summary>
/// Byte-level BPE driven by a rank-ordered merge list, as llama.cpp's <c>llm_tokenizer_bpe</c> runs it for
/// <c>llama-bpe</c>: within each pre-token word, the adjacent pair with the lowest merge rank merges first,
/// leftmost on ties. Microsoft.ML.Tokenizers has no constructor taking GGUF's token and merge arrays, hence ours.
/// </summary>
internal sealed class MergeListEncoder : IByteLevelTextEncoder
{
    private readonly Regex _preTokenizer;
    private readonly ByteLevelWordMerger _merger;
    private readonly Dictionary<long, (int Rank, int Id)> _merges;

    public MergeListEncoder(string[] tokens, int[] tokenTypes, string[] merges, Regex preTokenizer)
    {
        _preTokenizer = preTokenizer;
        var all = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
            all[tokens[i]] = i;
        _merger = new ByteLevelWordMerger(TextTokens(tokens, tokenTypes));

        _merges = new Dictionary<long, (int, int)>(merges.Length);
        for (int rank = 0; rank < merges.Length; rank++)
        {
            string merge = merges[rank] ?? throw new ArgumentException($"merge {rank} is null", nameof(merges));
            int space = merge.IndexOf(' ');
            if (space <= 0 || space == merge.Length - 1 || merge.IndexOf(' ', space + 1) >= 0)
                throw new ArgumentException($"merge {rank} '{merge}' is not two tokens separated by one space", nameof(merges));
            string left = merge[..space], right = merge[(space + 1)..];
            if (!all.TryGetValue(left, out int leftId) || !all.TryGetValue(right, out int rightId) || !all.TryGetValue(left + right, out int mergedId))
                throw new ArgumentException($"merge {rank} '{merge}' names a token the vocabulary lacks", nameof(merges));
            _merges.TryAdd(PairKey(leftId, rightId), (rank, mergedId));
        }
    }

    /// <summary>Spelling → id of the tokens text can produce: everything but control and unused tokens.</summary>
    public static Dictionary<string, int> TextTokens(string[] tokens, int[] tokenTypes)
    {
        var words = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((TokenType)tokenTypes[i] is TokenType.Normal or TokenType.UserDefined or TokenType.Byte)
                words[tokens[i]] = i;
        }
        return words;
    }

    public void Encode(ReadOnlySpan<char> text, List<int> output)
    {
        var ranker = new MergeRanker(_merges);
        foreach (var match in _preTokenizer.EnumerateMatches(text))
            _merger.EncodeWord(text.Slice(match.Index, match.Length), ranker, output);
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    private readonly struct MergeRanker(Dictionary<long, (int Rank, int Id)> merges) : IPairRanker
    {
        public bool TryMerge(ReadOnlySpan<char> mergedText, int leftId, int rightId, out int mergedId, out float priority)
        {
            if (merges.TryGetValue(PairKey(leftId, rightId), out var merge))
            {
                mergedId = merge.Id;
                priority = merge.Rank; // exact: ranks stay far below 2^24
                return true;
            }
            mergedId = -1;
            priority = 0;
            return false;
        }
    }
}
