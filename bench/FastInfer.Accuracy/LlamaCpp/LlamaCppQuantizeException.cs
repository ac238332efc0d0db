namespace FastInfer.Accuracy.LlamaCpp;

/// <summary>llama.cpp refused to quantize a file (e.g. rows that are not whole blocks of a type without a fallback).</summary>
public sealed class LlamaCppQuantizeException(string message) : Exception(message);
