namespace FastInfer.Engine;

/// <summary>How <see cref="LlamaModel.Load"/> opens a model.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Compute threads; defaults to every core the process may use.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Longest context a session may hold. Defaults to the model's trained context, capped at
    /// <see cref="DefaultContextCap"/> tokens so a 32k-context model does not reserve gigabytes of KV cache up front.
    /// </summary>
    public int? ContextLength { get; init; }

    /// <summary>Tokenizer file for formats that do not embed one (llama2.c checkpoints): tokenizer.bin, tokenizer.model.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>
    /// Runs the forward pass on another device instead of the CPU transformer: a factory that gets the loaded model
    /// (for example <c>LpuDevice.Factory(chips)</c> from FastInfer.Lpu). Null: the default CPU path.
    /// </summary>
    public Func<LlamaModel, Models.IForwardDevice>? Device { get; init; }

    /// <summary>
    /// Copies Q4_0, Q5_0, Q8_0, Q4_K, Q5_K and Q6_K matrices at load into the row-interleaved layout the AVX2/AVX-512 kernels
    /// read fastest (about as much memory again as those tensors take in the file), and on the AVX-512 path F16 and BF16
    /// matrices into two-stream groups (their file pages are released, so they take no more memory than before). Off: the
    /// kernels read the file's ggml rows directly.
    /// </summary>
    public bool PackWeights { get; init; } = true;

    /// <summary>
    /// Copies every other matrix the forward pass multiplies by (F32, F16, BF16, and quantized ones without a packed
    /// copy) from the memory-mapped file into the process's own memory at load, in huge pages where the OS allows:
    /// on the machines measured, mapped file pages stream at about half the rate, which halves decode speed. Costs
    /// the copy at load and as much memory again as those tensors (the file's pages are then no longer read).
    /// Off: the kernels read the mapped file directly and loading is instant.
    /// </summary>
    public bool CopyWeights { get; init; } = true;

    /// <summary>
    /// At most this many bytes of packed and resident copies (<see cref="PackWeights"/>, <see cref="CopyWeights"/>,
    /// <see cref="FuseProjections"/>), taken by the fused stacks first and then by the other matrices in forward-pass
    /// order; the matrices beyond it are read from the file mapping. Null: three quarters of the memory the OS
    /// reports available at load, so a model larger than memory still loads and runs from the mapping.
    /// </summary>
    public long? MaxWeightCopyBytes { get; init; }

    /// <summary>
    /// Stacks each layer's query, key and value matrices, and its gate and up matrices, into one contiguous copy at
    /// load (where they share a type), so each token runs one matrix-vector product for each stack instead of one per
    /// matrix. The logits do not change. The copies count against <see cref="MaxWeightCopyBytes"/> like the others;
    /// a stack that does not fit stays separate. Off: every matrix is multiplied on its own.
    /// </summary>
    public bool FuseProjections { get; init; } = true;

    /// <summary>
    /// How sessions store keys and values (<see cref="Engine.KvCacheType"/>): F32 by default; F16 halves the cache's memory
    /// and what long-context decode reads, at the cost of rounding each key and value to half precision. A forward device
    /// (<see cref="Device"/>) keeps its own cache, so it takes only F32.
    /// </summary>
    public KvCacheType KvCacheType { get; init; } = KvCacheType.F32;

    public const int DefaultContextCap = 4096;
}
