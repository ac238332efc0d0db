namespace FastInfer.Engine.Tokenizers;

/// <summary>A tokenizer file that cannot be read: names the file kind, the field and the byte offset.</summary>
public sealed class TokenizerFormatException : FormatException
{
    public TokenizerFormatException(string fileKind, string field, long offset, string problem)
        : base($"{fileKind}: {field} at byte offset {offset}: {problem}")
    {
        FileKind = fileKind;
        Field = field;
        Offset = offset;
    }

    public string FileKind { get; }

    public string Field { get; }

    public long Offset { get; }
}
