using System.Text;

namespace FastInfer.Engine.Tokenizers.Common;

/// <summary>
/// The bytes each token prints, packed in one array: decoding a token is a slice, never an allocation.
/// Byte-fallback and byte-level tokens may hold part of a UTF-8 character, which is why pieces are bytes.
/// </summary>
internal sealed class TokenPieces
{
    private readonly byte[] _bytes;
    private readonly int[] _offsets;

    private TokenPieces(byte[] bytes, int[] offsets)
    {
        _bytes = bytes;
        _offsets = offsets;
        for (int i = 0; i + 1 < offsets.Length; i++)
            MaxLength = Math.Max(MaxLength, offsets[i + 1] - offsets[i]);
    }

    public int Count => _offsets.Length - 1;

    public int MaxLength { get; }

    public ReadOnlySpan<byte> this[int id] => _bytes.AsSpan(_offsets[id], _offsets[id + 1] - _offsets[id]);

    /// <summary>Collects the pieces of <paramref name="count"/> tokens; <paramref name="writePiece"/> appends token i's bytes.</summary>
    public static TokenPieces Build(int count, Action<int, List<byte>> writePiece)
    {
        var bytes = new List<byte>(count * 6);
        var offsets = new int[count + 1];
        for (int i = 0; i < count; i++)
        {
            writePiece(i, bytes);
            offsets[i + 1] = bytes.Count;
        }
        return new TokenPieces([.. bytes], offsets);
    }

    public static void AppendUtf8(List<byte> bytes, string text) => bytes.AddRange(Encoding.UTF8.GetBytes(text));
}
