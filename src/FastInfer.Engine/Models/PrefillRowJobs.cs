using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Threading;

namespace FastInfer.Engine.Models;

/// <summary>
/// The elementwise steps of a prefill batch as pool jobs over token rows, so both threads share them instead of one
/// thread working while the other waits at the next matrix product. Each row runs exactly the call the serial loop
/// made for it, so results do not change with the thread count.
/// </summary>
internal static unsafe class PrefillRowJobs
{
    /// <summary>Adds the block output <see cref="Added"/> (when not null) into the residual row, then RMS-normalises it.</summary>
    public struct ResidualNorm : IRowJob
    {
        public float* Residual;
        public float* Added;
        public float* Weight;
        public float* Normed;
        public int Dimension;
        public float Epsilon;

        public readonly void Execute(int start, int end)
        {
            var weight = new ReadOnlySpan<float>(Weight, Dimension);
            for (int t = start; t < end; t++)
            {
                var x = new Span<float>(Residual + (long)t * Dimension, Dimension);
                if (Added != null)
                    VectorOps.Add(x, new ReadOnlySpan<float>(Added + (long)t * Dimension, Dimension));
                if (Normed != null)
                    Norms.RmsNorm(x, weight, Epsilon, new Span<float>(Normed + (long)t * Dimension, Dimension));
            }
        }
    }

    /// <summary>Rotates each token's query and key heads for its position.</summary>
    public struct Rotary : IRowJob
    {
        public RopeTable Rope;
        public float* Queries;
        public float* Keys;
        public int QueryHeads;
        public int KeyHeads;
        public int FirstPosition;

        public readonly void Execute(int start, int end)
        {
            int queryLength = QueryHeads * Rope.HeadDim, keyLength = KeyHeads * Rope.HeadDim;
            for (int t = start; t < end; t++)
            {
                Rope.Apply(new Span<float>(Queries + (long)t * queryLength, queryLength), QueryHeads, FirstPosition + t);
                Rope.Apply(new Span<float>(Keys + (long)t * keyLength, keyLength), KeyHeads, FirstPosition + t);
            }
        }
    }

    /// <summary>
    /// SwiGLU's gate = silu(gate)·up over the whole batch, in chunks whose boundaries are multiples of every vector
    /// width, so each element takes the same vector or scalar path as in one call over the whole span.
    /// </summary>
    public struct SiluMul : IRowJob
    {
        public const int ChunkElements = 1024;

        public float* Gate;
        public float* Up;
        public long Length;

        public static int Chunks(long length) => checked((int)((length + ChunkElements - 1) / ChunkElements));

        public readonly void Execute(int start, int end)
        {
            long first = (long)start * ChunkElements;
            int count = (int)(Math.Min(Length, (long)end * ChunkElements) - first);
            Activations.SiluMul(new Span<float>(Gate + first, count), new ReadOnlySpan<float>(Up + first, count));
        }
    }

    /// <summary>
    /// Splits each token's row of a fused query-key(-value) product into its query row and its key and value cache
    /// rows (the value only when <see cref="Values"/> is not null).
    /// </summary>
    public struct SplitQueryKeyValue : IRowJob
    {
        public float* Fused;
        public int FusedWidth;
        public float* Queries;
        public int QueryWidth;
        public float* Keys;
        public float* Values;
        public int KeyWidth;

        public readonly void Execute(int start, int end)
        {
            for (int t = start; t < end; t++)
            {
                var row = new ReadOnlySpan<float>(Fused + (long)t * FusedWidth, FusedWidth);
                row[..QueryWidth].CopyTo(new Span<float>(Queries + (long)t * QueryWidth, QueryWidth));
                row.Slice(QueryWidth, KeyWidth).CopyTo(new Span<float>(Keys + (long)t * KeyWidth, KeyWidth));
                if (Values != null)
                    row.Slice(QueryWidth + KeyWidth, KeyWidth).CopyTo(new Span<float>(Values + (long)t * KeyWidth, KeyWidth));
            }
        }
    }
}
