namespace FastInfer.Engine.Tokenizers;

/// <summary>
/// A vocabulary entry's kind, numbered as SentencePiece's <c>ModelProto.SentencePiece.Type</c> and
/// GGUF's <c>tokenizer.ggml.token_type</c> (which copies it).
/// </summary>
public enum TokenType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
