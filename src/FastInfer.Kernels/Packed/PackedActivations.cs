using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Activations for the packed kernels, prepared once per call: each token quantized to the same Q8_0 blocks the
/// row-major kernels use (<see cref="ActivationQuantizer"/>), then split into three arrays per token — the 32 quants
/// of each block, its scale times <see cref="PackedScales.Rescale"/> as a float, and the zero-point correction
/// −zp·Σq as an int — so the inner loop does no F16 lookups and no sums.
/// </summary>
internal readonly unsafe struct PackedActivations
{
    private const int BytesPerBlock = 32 + sizeof(float) + sizeof(int);

    private readonly byte* _data;
    private readonly int _blocks;

    private PackedActivations(byte* data, int blocks)
    {
        _data = data;
        _blocks = blocks;
    }

    public long TokenBytes => (long)_blocks * BytesPerBlock;

    public byte* Quants(int token) => _data + token * TokenBytes;

    public float* Scales(int token) => (float*)(Quants(token) + _blocks * 32L);

    public int* Corrections(int token) => (int*)(Quants(token) + _blocks * 36L);

    /// <summary>
    /// Prepares <paramref name="tokens"/> rows of <paramref name="blocks"/>·32 floats in this thread's scratch (valid
    /// until the next call). A prompt's tokens are split over <paramref name="pool"/>: on one thread this step took a
    /// sixth of a small model's prefill while the other core waited.
    /// </summary>
    public static PackedActivations Prepare(float* x, int tokens, int blocks, int zeroPoint, ComputePool pool)
    {
        var prepared = new PackedActivations(MatMulScratch.Get(1, tokens * (long)blocks * BytesPerBlock), blocks);
        var job = new PrepareTokens { X = x, Prepared = prepared, ZeroPoint = zeroPoint };
        pool.For(tokens, ref job, 1, tokens * (long)blocks * 32 * sizeof(float));
        return prepared;
    }

    private struct PrepareTokens : IRowJob
    {
        public float* X;
        public PackedActivations Prepared;
        public int ZeroPoint;

        public readonly void Execute(int start, int end)
        {
            int blocks = Prepared._blocks;
            byte* q8 = MatMulScratch.Get(0, (long)blocks * BlockQ8_0.ByteCount); // the running thread's own
            for (int t = start; t < end; t++)
            {
                ActivationQuantizer.Quantize<BlockQ8_0>(X + (long)t * blocks * 32, q8, blocks);
                byte* quants = Prepared.Quants(t);
                float* scales = Prepared.Scales(t);
                int* corrections = Prepared.Corrections(t);
                for (int b = 0; b < blocks; b++)
                {
                    byte* block = q8 + b * BlockQ8_0.ByteCount;
                    var q = Vector256.Load((sbyte*)(block + 2));
                    q.Store((sbyte*)(quants + b * 32));
                    scales[b] = Fp16.Load(block) * PackedScales.Rescale;
                    corrections[b] = -ZeroPoint * Sum(q);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Sum(Vector256<sbyte> q)
    {
        var (lo, hi) = Vector256.Widen(q);
        return Vector256.Sum(Vector256.WidenLower(lo + hi) + Vector256.WidenUpper(lo + hi));
    }
}
