namespace FastInfer.Engine.Tokenizers;

/// <summary>
/// Turns a stream of token ids into printable text. The concatenation of every <see cref="Append"/>
/// result and the final <see cref="Flush"/> equals <see cref="ITextTokenizer.Decode"/> of the same ids.
/// </summary>
public interface ITokenStreamDecoder
{
    /// <summary>
    /// The text this token completes. A token ending inside a UTF-8 sequence (a byte-fallback token, or a
    /// byte-level BPE token holding part of a character) is held back until the character is complete.
    /// </summary>
    string Append(int id);

    /// <summary>Text still held back (an incomplete UTF-8 sequence comes out as U+FFFD); resets the decoder.</summary>
    string Flush();
}
