namespace FastInfer.Engine.Formats.Gguf;

/// <summary>A GGUF file that cannot be read; the message names the field and its byte offset.</summary>
public sealed class GgufFormatException : FormatException
{
    public GgufFormatException(string field, long offset, string problem)
        : base($"GGUF {field} at byte {offset}: {problem}")
    {
        Field = field;
        Offset = offset;
    }

    /// <summary>The field that is wrong, e.g. "tensor 'blk.0.attn_q.weight' offset".</summary>
    public string Field { get; }

    /// <summary>Byte offset in the file where the field starts.</summary>
    public long Offset { get; }
}
