namespace FastInfer.Engine.Formats.HuggingFace;

/// <summary>
/// A Hugging Face model folder whose config.json or tensor names do not describe a model FastInfer can load
/// consistently; the message names the file, the field or tensor, and (for config.json) the byte offset.
/// </summary>
public sealed class HuggingFaceFormatException : FormatException
{
    public HuggingFaceFormatException(string path, string problem, long? offset = null)
        : base($"{System.IO.Path.GetFileName(path)}: {problem}{(offset is null ? "" : $" (byte offset {offset})")}")
    {
        Path = path;
        Offset = offset;
    }

    public string Path { get; }

    /// <summary>Byte offset of the value at fault, when the problem lies at one place in a file.</summary>
    public long? Offset { get; }
}
