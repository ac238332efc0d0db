using FastInfer.Kernels.Blocks;

namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// Fills a whole group's prefill panels from a packed decode copy, by the panel's type (the checks are on types, so each
/// instantiation of the GEMM compiles one call): the packed copy and the panel both keep row r in lane r, so no row is
/// written back. Partial groups, and groups a slice starts inside, still go through the rows (<see cref="PanelPacker"/>).
/// </summary>
internal static unsafe class PanelFromPacked
{
    public static void Pack<TPanel>(byte* group, int blocks, byte* panel, long blockStride) where TPanel : struct, IKQuantPanel
    {
        if (typeof(TPanel) == typeof(ScaleMinPanel<BlockQ4_K>) || typeof(TPanel) == typeof(ScaleMinPanel<BlockQ5_K>))
            ScaleMinPanelFromPacked.Pack<TPanel>(group, blocks, panel, blockStride);
        else if (typeof(TPanel) == typeof(Q6KPanel))
            Q6KPanelFromPacked.Pack(group, blocks, panel, blockStride);
        else if (typeof(TPanel) == typeof(Q3KPanel))
            Q3KPanelFromPacked.Pack(group, blocks, panel, blockStride);
        else if (typeof(TPanel) == typeof(Q2KPanel))
            Q2KPanelFromPacked.Pack(group, blocks, panel, blockStride);
        else
            throw new NotSupportedException($"no packed panel path for {TPanel.Type}");
    }
}
