using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops.Elementwise;

namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>The streaming-softmax step shared by the attention kernels: fold one tile of scores into a head's running state.</summary>
internal static unsafe class OnlineSoftmax
{
    /// <summary>
    /// Turns <paramref name="scores"/> into weights exp(score − max) in place, raising the running max first if the tile
    /// holds a larger score (which rescales the running sum and the unnormalised output <paramref name="o"/> once).
    /// </summary>
    public static void Update(float* scores, int count, ref float max, ref float sum, float* o, int headDim, IsaPath path)
    {
        var tile = new Span<float>(scores, count);
        float tileMax = ElementwiseLoop.Aggregate<IdentityOperator, MaxOperator>(tile, path);
        if (tileMax > max)
        {
            // A new maximum rescales what has been accumulated so far (nothing, on the first tile).
            float correction = FastExp.Exp(max - tileMax);
            sum *= correction;
            VectorOps.Scale(new Span<float>(o, headDim), correction, path);
            max = tileMax;
        }
        sum += ElementwiseLoop.BinaryScalarAggregate<ExpShiftedOperator, AddOperator>(tile, max, tile, path);
    }
}
