using FastInfer.Kernels;

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

    /// <summary>The weight types a conversion writes: every type FastInfer quantizes to and computes with (the CLI's
    /// <c>--type</c> list).</summary>
    public static IReadOnlyList<GgmlType> Types { get; } =
    [
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q5_1, GgmlType.Q5_0, GgmlType.Q4_1, GgmlType.Q4_0,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
    ];
}
