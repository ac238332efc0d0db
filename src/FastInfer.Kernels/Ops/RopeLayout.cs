namespace FastInfer.Kernels.Ops;

/// <summary>Which elements of a head RoPE rotates together.</summary>
public enum RopeLayout
{
    /// <summary>Adjacent pairs (2i, 2i+1): llama.cpp's GGUF Llama tensors and llama2.c checkpoints.</summary>
    Interleaved,
    /// <summary>Halves (i, i + d/2): Hugging Face checkpoints and GPT-NeoX.</summary>
    HalfSplit,
}
