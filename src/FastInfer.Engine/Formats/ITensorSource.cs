namespace FastInfer.Engine.Formats;

/// <summary>
/// A model file's tensors under GGUF names (<c>token_embd.weight</c>, <c>blk.0.attn_q.weight</c> …),
/// whatever the file format. The source owns the memory mapping the views point into, so it must
/// outlive every <see cref="TensorView"/> it returns.
/// </summary>
public interface ITensorSource : IDisposable
{
    IReadOnlyList<TensorView> Tensors { get; }

    /// <summary>The tensor with this name, or null.</summary>
    TensorView? Find(string name);

    /// <summary>The tensor with this name; a <see cref="FormatException"/> naming it when absent.</summary>
    TensorView Get(string name) => Find(name) ?? throw new FormatException($"tensor '{name}' is missing from the model file");
}
