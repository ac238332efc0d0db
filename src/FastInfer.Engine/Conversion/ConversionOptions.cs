using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Engine.Conversion;

/// <summary>How <see cref="GgufConverter"/> writes a model.</summary>
public sealed record ConversionOptions
{
    /// <summary>Type of the weight matrices; norms and the MoE router stay F32, and rows that are not a whole number of blocks fall back to F16.</summary>
    public GgmlType Type { get; init; } = GgmlType.F32;

    /// <summary>Tokenizer for a llama2.c checkpoint (tokenizer.bin or a SentencePiece tokenizer.model); HF folders use their own.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>Called while tensor data is written with (bytes written, file size).</summary>
    public Action<long, long>? Progress { get; init; }

    /// <summary>The weight types a conversion writes: every type FastInfer both quantizes to and computes with.</summary>
    public static IReadOnlyList<GgmlType> Types { get; } =
        Enum.GetValues<GgmlType>().Where(t => Quantizer.CanQuantizeTo(t) && GgmlTypeTraits.IsSupportedWeight(t)).ToArray();
}
