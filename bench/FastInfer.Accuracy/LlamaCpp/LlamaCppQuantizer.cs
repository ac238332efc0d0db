using LLama;
using LLama.Native;

namespace FastInfer.Accuracy.LlamaCpp;

/// <summary>The quantized file types the suite compares, each made by llama.cpp's own quantizer.</summary>
public enum QuantizedFileType
{
    F16,
    Q8_0,
    Q4_0,
    Q4_1,
    Q5_1,
    Q4_K_M,
}

/// <summary>llama.cpp's quantizer (llama_model_quantize), so the quantized weights are llama.cpp's, not ours.</summary>
public static class LlamaCppQuantizer
{
    /// <summary>Writes <paramref name="destination"/>; throws <see cref="LlamaCppQuantizeException"/> when llama.cpp refuses.</summary>
    /// <remarks>The source is an F32 or F16 GGUF; the output tensor is quantized too, as llama-quantize does by default.</remarks>
    public static void Quantize(string source, string destination, QuantizedFileType type, int threads = 1)
    {
        LlamaCppRuntime.EnsureConfigured();
        var ftype = type switch
        {
            QuantizedFileType.F16 => LLamaFtype.MOSTLY_F16,
            QuantizedFileType.Q8_0 => LLamaFtype.MOSTLY_Q8_0,
            QuantizedFileType.Q4_0 => LLamaFtype.MOSTLY_Q4_0,
            QuantizedFileType.Q4_1 => LLamaFtype.MOSTLY_Q4_1,
            QuantizedFileType.Q5_1 => LLamaFtype.MOSTLY_Q5_1,
            QuantizedFileType.Q4_K_M => LLamaFtype.MOSTLY_Q4_K_M,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown file type"),
        };
        if (!LLamaQuantizer.Quantize(source, destination, ftype, threads, allowRequantize: false, quantizeOutputTensor: true))
            throw new LlamaCppQuantizeException($"llama.cpp could not quantize '{Path.GetFileName(source)}' to {type}: {LlamaCppRuntime.LastError ?? "no reason logged"}");
    }
}
