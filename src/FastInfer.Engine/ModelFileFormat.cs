namespace FastInfer.Engine;

/// <summary>The model file formats FastInfer loads.</summary>
public enum ModelFileFormat
{
    /// <summary>llama.cpp's GGUF (v2, v3), memory-mapped.</summary>
    Gguf,
    /// <summary>llama2.c's checkpoint: a 7-int32 header and F32 weights, with a separate tokenizer.bin.</summary>
    Llama2c,
    /// <summary>A Hugging Face model folder: config.json and safetensors (one file or an index of shards), tokenizer.json or tokenizer.model.</summary>
    HuggingFace,
}
