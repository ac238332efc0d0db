using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using FastInfer.Engine.Tokenizers.Common;

namespace FastInfer.Engine.Tokenizers.ByteLevel;

/// <summary>
/// Byte-level BPE driven by a rank-ordered merge list, as llama.cpp's <c>llm_tokenizer_bpe</c> runs it for
/// <c>llama-bpe</c>: each pre-token word becomes one char per UTF-8 byte (GPT-2 spelling); a word that is itself a
/// token is taken whole (Llama 3's <c>ignore_merges</c>); otherwise the adjacent pair with the lowest merge rank is
/// merged, leftmost on ties. Microsoft.ML.Tokenizers has no constructor taking GGUF's token and merge arrays, hence ours.
/// </summary>
internal sealed class MergeListEncoder : IByteLevelTextEncoder
{
    private readonly Regex _preTokenizer;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _words;
    private readonly Dictionary<long, (int Rank, int Id)> _merges;
    private readonly int[] _byteTokens = new int[256];

    public MergeListEncoder(string[] tokens, int[] tokenTypes, string[] merges, Regex preTokenizer)
    {
        _preTokenizer = preTokenizer;
        var words = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        var all = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
        {
            all[tokens[i]] = i;
            if ((TokenType)tokenTypes[i] is TokenType.Normal or TokenType.UserDefined or TokenType.Byte)
                words[tokens[i]] = i;
        }
        _words = words.GetAlternateLookup<ReadOnlySpan<char>>();

        for (int b = 0; b < 256; b++)
        {
            if (!words.TryGetValue(GptByteUnicode.ToChar((byte)b).ToString(), out _byteTokens[b]))
                throw new ArgumentException($"the vocabulary has no token for byte 0x{b:X2} ('{GptByteUnicode.ToChar((byte)b)}'); byte-level BPE needs all 256", nameof(tokens));
        }

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

    public void Encode(ReadOnlySpan<char> text, List<int> output)
    {
        var ranker = new MergeRanker(_merges);
        foreach (var match in _preTokenizer.EnumerateMatches(text))
            EncodeWord(text.Slice(match.Index, match.Length), ranker, output);
    }

    private void EncodeWord(ReadOnlySpan<char> word, MergeRanker ranker, List<int> output)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(word.Length);
        byte[] rented = ArrayPool<byte>.Shared.Rent(maxBytes);
        char[] spelled = ArrayPool<char>.Shared.Rent(maxBytes);
        try
        {
            int count = Encoding.UTF8.GetBytes(word, rented);
            for (int i = 0; i < count; i++)
                spelled[i] = GptByteUnicode.ToChar(rented[i]);
            var spelling = spelled.AsSpan(0, count);
            if (_words.TryGetValue(spelling, out int whole))
            {
                output.Add(whole);
                return;
            }

            var symbols = new MergeSymbol[count];
            for (int i = 0; i < count; i++)
                symbols[i] = new MergeSymbol { Start = i, Length = 1, Id = _byteTokens[rented[i]] };
            PairMerger.Link(symbols);
            PairMerger.Merge(spelling, symbols, ranker);
            for (int i = 0; i >= 0; i = symbols[i].Next)
                output.Add(symbols[i].Id);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
            ArrayPool<char>.Shared.Return(spelled);
        }
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
