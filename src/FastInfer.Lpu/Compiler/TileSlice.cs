namespace FastInfer.Lpu.Compiler;

/// <summary>A tile before it has a chip: <see cref="Member"/> is its index inside the stage's chip group.</summary>
internal readonly record struct TileSlice(LpuTensor Tensor, int Layer, int Expert, int Member, int Start, int End, long Bytes);
