using FastInfer.Engine.Tokenizers;
using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Engine.Tokenizers.SentencePiece;

namespace FastInfer.Engine.Tests.Tokenizers;

/// <summary>Tiny vocabularies built in memory, so the algorithms are tested without the shared model files.</summary>
public static class SyntheticVocabularies
{
    /// <summary>unk, &lt;s&gt;, &lt;/s&gt;, the 256 byte tokens, then <paramref name="pieces"/> (piece, score) from id 259.</summary>
    public static SentencePieceVocabulary SentencePiece(bool addSpacePrefix, params (string Piece, float Score)[] pieces)
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var types = new List<int> { (int)TokenType.Unknown, (int)TokenType.Control, (int)TokenType.Control };
        for (int b = 0; b < 256; b++)
        {
            tokens.Add($"<0x{b:X2}>");
            types.Add((int)TokenType.Byte);
        }
        foreach (var (piece, _) in pieces)
        {
            tokens.Add(piece);
            types.Add((int)TokenType.Normal);
        }
        var scores = new float[tokens.Count];
        for (int i = 0; i < pieces.Length; i++)
            scores[259 + i] = pieces[i].Score;
        return new SentencePieceVocabulary([.. tokens], scores, [.. types], 1, 2, 0, addSpacePrefix);
    }

    public const int FirstPiece = 259;

    /// <summary>The 256 byte tokens (ids = byte values), then each merge's result in order, then &lt;|end|&gt; as EOS/BOS.</summary>
    public static ByteLevelBpeVocabulary ByteLevel(params string[] merges)
    {
        var tokens = new List<string>();
        for (int b = 0; b < 256; b++)
            tokens.Add(GptByteUnicode.ToChar((byte)b).ToString());
        foreach (string merge in merges)
            tokens.Add(merge.Replace(" ", ""));
        tokens.Add("<|end|>");
        var types = Enumerable.Repeat((int)TokenType.Normal, tokens.Count).ToArray();
        types[^1] = (int)TokenType.Control;
        return new ByteLevelBpeVocabulary([.. tokens], merges, types, tokens.Count - 1, tokens.Count - 1);
    }
}
