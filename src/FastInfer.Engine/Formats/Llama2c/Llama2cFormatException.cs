namespace FastInfer.Engine.Formats.Llama2c;

/// <summary>A llama2.c checkpoint that cannot be read; the message names the field and its byte offset.</summary>
public sealed class Llama2cFormatException(string field, long offset, string problem)
    : FormatException($"llama2.c checkpoint {field} at byte {offset}: {problem}")
{
    public string Field { get; } = field;
    public long Offset { get; } = offset;
}
