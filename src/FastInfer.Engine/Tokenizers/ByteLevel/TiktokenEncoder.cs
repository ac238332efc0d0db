using System.Text.RegularExpressions;
using FastInfer.Engine.Tokenizers.Common;
using Microsoft.ML.Tokenizers;

namespace FastInfer.Engine.Tokenizers.ByteLevel;

/// <summary>
/// Encodes tiktoken-style: within a pre-token word, the adjacent pair whose merged bytes form the lowest-ranked
/// token merges first, leftmost on ties. Words go to Microsoft.ML.Tokenizers' <see cref="TiktokenTokenizer"/>, which
/// reproduces all 46 of llama.cpp's Llama 3 vectors; but its merge loop rescans the word after every merge, which is
/// quadratic, so a long word (a run of thousands of "!" or spaces) goes to our <see cref="PairMerger"/> instead,
/// which applies the same rule in O(n log n). Special tokens never reach this class.
/// </summary>
internal sealed class TiktokenEncoder(TiktokenTokenizer tiktoken, ByteLevelWordMerger merger, Regex preTokenizer, int longWordChars = TiktokenEncoder.LongWordChars)
    : IByteLevelTextEncoder
{
    /// <summary>Words longer than this many chars bypass the quadratic merge loop.</summary>
    public const int LongWordChars = 128;

    public void Encode(ReadOnlySpan<char> text, List<int> output)
    {
        var ranker = new RankRanker(merger.Words);
        foreach (var match in preTokenizer.EnumerateMatches(text))
        {
            var word = text.Slice(match.Index, match.Length);
            if (word.Length > longWordChars)
                merger.EncodeWord(word, ranker, output);
            else
                output.AddRange(tiktoken.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false));
        }
    }

    /// <summary>A token's rank is its id, so the merged bytes' id is the pair's priority.</summary>
    private readonly struct RankRanker(Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> tokens) : IPairRanker
    {
        public bool TryMerge(ReadOnlySpan<char> mergedText, int leftId, int rightId, out int mergedId, out float priority)
        {
            bool found = tokens.TryGetValue(mergedText, out mergedId);
            priority = mergedId; // exact: ranks stay far below 2^24
            return found;
        }
    }
}
