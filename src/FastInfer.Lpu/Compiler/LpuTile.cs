namespace FastInfer.Lpu.Compiler;

/// <summary>
/// One piece of a tensor resident in one chip's SRAM: output rows (for the KV cache, KV heads)
/// [<see cref="Start"/>, <see cref="End"/>) of <see cref="Tensor"/>.
/// </summary>
/// <param name="Layer">Transformer layer, or -1 for the token embedding and the output head.</param>
/// <param name="Expert">Expert index, or -1 for tensors that are not per expert.</param>
public sealed record LpuTile(int Id, LpuTensor Tensor, int Layer, int Expert, int Chip, int Start, int End, long Bytes);
