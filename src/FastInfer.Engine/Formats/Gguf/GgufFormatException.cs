namespace FastInfer.Engine.Formats.Gguf;

/// <summary>A GGUF file that cannot be read; the message names the field and its byte offset.</summary>
public sealed class GgufFormatException : FormatException
{
    public GgufFormatException(string field, long offset, string problem)
        : base(offset >= 0 ? $"GGUF {field} at byte {offset}: {problem}" : $"GGUF {field}: {problem}")
    {
        Field = field;
        Offset = offset;
    }

    /// <summary>The field that is wrong, e.g. "tensor 'blk.0.attn_q.weight' offset".</summary>
    public string Field { get; }

    /// <summary>Byte offset in the file where the field starts; -1 when the field is absent.</summary>
    public long Offset { get; }
}
