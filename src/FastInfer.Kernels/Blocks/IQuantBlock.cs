namespace FastInfer.Kernels.Blocks;

/// <summary>
/// ggml's type traits as a struct per block type: geometry and decoding, resolved at compile time through
/// static abstract members so generic kernels specialise per type with no virtual calls.
/// Pointers address one block laid out bit-exactly as ggml stores it.
/// </summary>
public unsafe interface IQuantBlock
{
    static abstract GgmlType Type { get; }

    /// <summary>Elements one block encodes.</summary>
    static abstract int Elements { get; }

    /// <summary>Bytes one block occupies.</summary>
    static abstract int Bytes { get; }

    /// <summary>Decodes one block into <see cref="Elements"/> floats.</summary>
    static abstract void Dequantize(byte* block, float* destination);
}

/// <summary>A block type FastInfer can encode from F32.</summary>
public unsafe interface IQuantizableBlock : IQuantBlock
{
    /// <summary>Encodes <see cref="IQuantBlock.Elements"/> floats into one block.</summary>
    static abstract void Quantize(float* source, byte* block);
}
