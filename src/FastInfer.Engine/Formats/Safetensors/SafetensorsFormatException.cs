namespace FastInfer.Engine.Formats.Safetensors;

/// <summary>
/// A safetensors file (or its shard index) that breaks the format: the message names the file, the tensor
/// or field at fault and the byte offset where the bad value lies, so a corrupt download is easy to pin down.
/// </summary>
public sealed class SafetensorsFormatException : FormatException
{
    public SafetensorsFormatException(string path, string problem, long offset, string? tensor = null)
        : base($"{System.IO.Path.GetFileName(path)}: {(tensor is null ? "" : $"tensor '{tensor}': ")}{problem} (byte offset {offset})")
    {
        Path = path;
        Offset = offset;
        Tensor = tensor;
    }

    public string Path { get; }

    /// <summary>Byte offset in the file of the value at fault.</summary>
    public long Offset { get; }

    /// <summary>The tensor whose entry is at fault, or null for a file-level problem.</summary>
    public string? Tensor { get; }
}
