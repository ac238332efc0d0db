namespace FastInfer.Accuracy.Report;

/// <summary>A model the report runs: its F32 (or as-given) file and whether to derive llama.cpp-quantized files from it.</summary>
/// <param name="Name">name in the table.</param>
/// <param name="Path">GGUF file.</param>
/// <param name="Quantize">make Q8_0, Q4_0 and Q4_K_M files with llama.cpp's quantizer and compare those too.</param>
public sealed record ModelCase(string Name, string Path, bool Quantize);
