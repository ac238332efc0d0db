namespace FastInfer.Engine.Tokenizers.ByteLevel;

/// <summary>
/// GPT-2's reversible byte ⇄ char mapping, in which byte-level BPE vocabularies (HF tokenizer.json, GGUF
/// <c>tokenizer.ggml.model = gpt2</c>) spell their tokens: printable Latin-1 bytes stand for themselves, the other
/// 68 bytes take chars from U+0100 upward in byte order. Each byte is exactly one char, so a word's bytes map to a
/// string of the same length and BPE can merge char runs.
/// </summary>
public static class GptByteUnicode
{
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> s_charToByte = BuildCharToByte();

    public static char ToChar(byte value) => s_byteToChar[value];

    public static bool TryToByte(char c, out byte value) => s_charToByte.TryGetValue(c, out value);

    /// <summary>The token spelling of raw bytes.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
            chars[i] = s_byteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>The bytes a token spelling stands for; false when it holds a char outside the mapping.</summary>
    public static bool TryDecode(string token, List<byte> output)
    {
        int mark = output.Count;
        foreach (char c in token)
        {
            if (!s_charToByte.TryGetValue(c, out byte b))
            {
                output.RemoveRange(mark, output.Count - mark);
                return false;
            }
            output.Add(b);
        }
        return true;
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static Dictionary<char, byte> BuildCharToByte()
    {
        var map = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++)
            map[s_byteToChar[b]] = (byte)b;
        return map;
    }
}
