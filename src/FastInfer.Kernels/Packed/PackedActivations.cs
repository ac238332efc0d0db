using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Quantization;

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

    /// <summary>Prepares <paramref name="tokens"/> rows of <paramref name="blocks"/>·32 floats in this thread's scratch (valid until the next call).</summary>
    public static PackedActivations Prepare(float* x, int tokens, int blocks, int zeroPoint)
    {
        byte* q8 = MatMulScratch.Get(0, (long)blocks * BlockQ8_0.ByteCount);
        var prepared = new PackedActivations(MatMulScratch.Get(1, tokens * (long)blocks * BytesPerBlock), blocks);
        for (int t = 0; t < tokens; t++)
        {
            ActivationQuantizer.Quantize<BlockQ8_0>(x + (long)t * blocks * 32, q8, blocks);
            byte* quants = prepared.Quants(t);
            float* scales = prepared.Scales(t);
            int* corrections = prepared.Corrections(t);
            for (int b = 0; b < blocks; b++)
            {
                byte* block = q8 + b * BlockQ8_0.ByteCount;
                var q = Vector256.Load((sbyte*)(block + 2));
                q.Store((sbyte*)(quants + b * 32));
                scales[b] = Fp16.Load(block) * PackedScales.Rescale;
                corrections[b] = -zeroPoint * Sum(q);
            }
        }
        return prepared;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Sum(Vector256<sbyte> q)
    {
        var (lo, hi) = Vector256.Widen(q);
        return Vector256.Sum(Vector256.WidenLower(lo + hi) + Vector256.WidenUpper(lo + hi));
    }
}
