using System.Buffers;
using System.Text;
using FastInfer.Engine.Tokenizers.Common;

namespace FastInfer.Engine.Tokenizers.ByteLevel;

/// <summary>
/// BPE of one pre-token word in a byte-level vocabulary: the word's UTF-8 bytes are spelled one char per byte
/// (GPT-2 spelling); a word that is itself a token is taken whole (Llama 3's <c>ignore_merges</c>, and what tiktoken
/// does); otherwise its bytes are merged by <see cref="PairMerger"/> under the given ranking.
/// </summary>
internal sealed class ByteLevelWordMerger
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _words;
    private readonly int[] _byteTokens = new int[256];

    /// <param name="words">Token spelling → id of every token that text may produce (not control tokens).</param>
    public ByteLevelWordMerger(Dictionary<string, int> words)
    {
        _words = words.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int b = 0; b < 256; b++)
        {
            char c = GptByteUnicode.ToChar((byte)b);
            if (!words.TryGetValue(c.ToString(), out _byteTokens[b]))
                throw new ArgumentException($"the vocabulary has no token for byte 0x{b:X2} ('{c}'); byte-level BPE needs all 256", nameof(words));
        }
    }

    public Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> Words => _words;

    public void EncodeWord<TRanker>(ReadOnlySpan<char> word, in TRanker ranker, List<int> output)
        where TRanker : struct, IPairRanker
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(word.Length);
        byte[] bytes = ArrayPool<byte>.Shared.Rent(maxBytes);
        char[] spelled = ArrayPool<char>.Shared.Rent(maxBytes);
        try
        {
            int count = Encoding.UTF8.GetBytes(word, bytes);
            for (int i = 0; i < count; i++)
                spelled[i] = GptByteUnicode.ToChar(bytes[i]);
            var spelling = spelled.AsSpan(0, count);
            if (_words.TryGetValue(spelling, out int whole))
            {
                output.Add(whole);
                return;
            }

            var symbols = new MergeSymbol[count];
            for (int i = 0; i < count; i++)
                symbols[i] = new MergeSymbol { Start = i, Length = 1, Id = _byteTokens[bytes[i]] };
            PairMerger.Link(symbols);
            PairMerger.Merge(spelling, symbols, ranker);
            for (int i = 0; i >= 0; i = symbols[i].Next)
                output.Add(symbols[i].Id);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<char>.Shared.Return(spelled);
        }
    }
}
