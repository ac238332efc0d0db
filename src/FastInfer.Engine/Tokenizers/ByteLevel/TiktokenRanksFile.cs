using System.Buffers.Text;
using Microsoft.ML.Tokenizers;

namespace FastInfer.Engine.Tokenizers.ByteLevel;

/// <summary>
/// Reads a tiktoken ranks file (Meta's Llama 3 <c>tokenizer.model</c>): one "base64-token rank" line per token,
/// ranks 0..n-1 in order, the rank being the token id. Llama 3's 256 special tokens follow at ids n..n+255.
/// </summary>
public static class TiktokenRanksFile
{
    private const string Kind = "tiktoken ranks file";

    public static ByteLevelBpeTokenizer Load(string path) => Create(File.ReadAllBytes(path));

    /// <summary>A Llama 3 tokenizer from the file's bytes: ranks plus Llama 3's special tokens.</summary>
    public static ByteLevelBpeTokenizer Create(byte[] file) => Create(file, TiktokenEncoder.LongWordChars);

    /// <param name="longWordChars">Words longer than this skip the ML merge loop (0 in tests: all words take ours).</param>
    internal static ByteLevelBpeTokenizer Create(byte[] file, int longWordChars)
    {
        var ranks = ReadRanks(file);
        var specials = Llama3SpecialTokens.Names();
        var tokens = new string[ranks.Length + specials.Length];
        var types = new int[tokens.Length];
        for (int i = 0; i < ranks.Length; i++)
        {
            tokens[i] = GptByteUnicode.Encode(ranks[i]);
            types[i] = (int)TokenType.Normal;
        }
        for (int i = 0; i < specials.Length; i++)
        {
            tokens[ranks.Length + i] = specials[i];
            types[ranks.Length + i] = (int)TokenType.Control;
        }
        int bos = ranks.Length, eos = ranks.Length + 1, endOfTurn = ranks.Length + 9;

        // Words are cut by our own pre-tokenizer before they reach the ML tokenizer.
        var tiktoken = TiktokenTokenizer.Create(new MemoryStream(file, writable: false), preTokenizer: null, normalizer: null, specialTokens: null);
        var merger = new ByteLevelWordMerger(MergeListEncoder.TextTokens(tokens, types));
        return new ByteLevelBpeTokenizer(tokens, types, bos, eos, addBos: true, [eos, endOfTurn],
            new TiktokenEncoder(tiktoken, merger, Llama3PreTokenizer.Regex(), longWordChars));
    }

    /// <summary>Each rank's token bytes; a <see cref="TokenizerFormatException"/> naming the line and offset otherwise.</summary>
    public static byte[][] ReadRanks(ReadOnlySpan<byte> file)
    {
        var ranks = new List<byte[]>();
        int offset = 0;
        while (offset < file.Length)
        {
            int lineLength = file[offset..].IndexOf((byte)'\n');
            if (lineLength < 0)
                lineLength = file.Length - offset;
            var line = file.Slice(offset, lineLength);
            if (line.Length > 0 && line[^1] == (byte)'\r')
                line = line[..^1];
            if (line.Length > 0)
                ranks.Add(ParseLine(line, offset, ranks.Count));
            offset += lineLength + 1;
        }
        if (ranks.Count < 256)
            throw new TokenizerFormatException(Kind, "ranks", file.Length, $"{ranks.Count} ranks; a byte-level vocabulary has at least 256");
        return [.. ranks];
    }

    private static byte[] ParseLine(ReadOnlySpan<byte> line, int offset, int expectedRank)
    {
        int space = line.IndexOf((byte)' ');
        if (space <= 0)
            throw new TokenizerFormatException(Kind, Field(expectedRank), offset, "expected 'base64-token rank'");
        var encoded = line[..space];
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(encoded.Length)];
        if (Base64.DecodeFromUtf8(encoded, bytes, out _, out int written) != System.Buffers.OperationStatus.Done || written == 0)
            throw new TokenizerFormatException(Kind, Field(expectedRank) + " token", offset, "not valid base64");
        var rankText = line[(space + 1)..];
        if (!System.Buffers.Text.Utf8Parser.TryParse(rankText, out int rank, out int consumed) || consumed != rankText.Length)
            throw new TokenizerFormatException(Kind, Field(expectedRank) + " rank", offset + space + 1, "not an integer");
        if (rank != expectedRank)
            throw new TokenizerFormatException(Kind, Field(expectedRank) + " rank", offset + space + 1, $"rank {rank} where {expectedRank} was expected (ranks must run 0, 1, 2 … in order)");
        return bytes.AsSpan(0, written).ToArray();
    }

    private static string Field(int rank) => $"line {rank + 1}";
}
