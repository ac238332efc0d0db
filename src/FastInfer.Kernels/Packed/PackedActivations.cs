using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Ops;
using FastInfer.Kernels.Quantization;
using FastInfer.Kernels.Threading;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// Activations for the packed kernels, prepared once per call: each token quantized to the same Q8_0 blocks the
/// row-major kernels use (<see cref="ActivationQuantizer"/>), written as four arrays per token — the 32 quants
/// of each block, its scale times <see cref="PackedScales.Rescale"/> as a float, the zero-point correction −zp·Σq as an
/// int, and for a format's minimum term (<see cref="IPackedFormat.HasMinimum"/>) d·Σq as ggml's Q8_1 block stores it
/// (<see cref="MinimumScale"/>), times the same rescale — so the inner loop does no F16 lookups and no sums.
/// </summary>
internal readonly unsafe struct PackedActivations
{
    private const int BytesPerBlock = 32 + sizeof(float) + sizeof(int) + sizeof(float);

    private readonly byte* _data;
    private readonly int _blocks;
    /// <summary>Whether the minimum term's scales are filled in: only the formats with a minimum read them.</summary>
    private readonly bool _withMinimumScales;

    private PackedActivations(byte* data, int blocks, bool withMinimumScales)
    {
        _data = data;
        _blocks = blocks;
        _withMinimumScales = withMinimumScales;
    }

    public long TokenBytes => (long)_blocks * BytesPerBlock;

    public byte* Quants(int token) => _data + token * TokenBytes;

    public float* Scales(int token) => (float*)(Quants(token) + _blocks * 32L);

    public int* Corrections(int token) => (int*)(Quants(token) + _blocks * 36L);

    /// <summary>Token <paramref name="token"/>'s minimum-term scales; filled only when prepared with them.</summary>
    public float* MinimumScales(int token) => (float*)(Quants(token) + _blocks * 40L);

    /// <summary>
    /// Prepares <paramref name="tokens"/> rows of <paramref name="blocks"/>·32 floats in this thread's scratch (valid
    /// until the next call). A prompt's tokens are split over <paramref name="pool"/>: on one thread this step took a
    /// sixth of a small model's prefill while the other core waited. <paramref name="withMinimumScales"/>: whether the
    /// weights' format has a minimum term (<see cref="IPackedFormat.HasMinimum"/>).
    /// </summary>
    public static PackedActivations Prepare(float* x, int tokens, int blocks, int zeroPoint, bool withMinimumScales, ComputePool pool)
    {
        var prepared = Allocate(tokens, blocks, withMinimumScales);
        var job = new PrepareTokens { X = x, Prepared = prepared, ZeroPoint = zeroPoint };
        pool.For(tokens, ref job, 1, tokens * (long)blocks * 32 * sizeof(float));
        return prepared;
    }

    /// <summary>Room for <paramref name="tokens"/> prepared rows in this thread's scratch, for <see cref="PrepareRange"/> to fill.</summary>
    public static PackedActivations Allocate(int tokens, int blocks, bool withMinimumScales)
        => new(MatMulScratch.Get(1, tokens * (long)blocks * BytesPerBlock), blocks, withMinimumScales);

    /// <summary>Prepares tokens [start, end) of <paramref name="x"/> (rows of blocks·32 floats); any thread may fill its own range.</summary>
    public readonly void PrepareRange(float* x, int start, int end, int zeroPoint)
    {
        for (int t = start; t < end; t++)
        {
            float* row = x + (long)t * _blocks * 32;
            byte* quants = Quants(t);
            float* scales = Scales(t);
            int* corrections = Corrections(t);
            float* minimumScales = MinimumScales(t);
            for (int b = 0; b < _blocks; b++)
            {
                float* minimumScale = _withMinimumScales ? minimumScales + b : null;
                corrections[b] = -zeroPoint * QuantizeBlock(row + b * 32, quants + b * 32, scales + b, minimumScale);
            }
        }
    }

    private struct PrepareTokens : IRowJob
    {
        public float* X;
        public PackedActivations Prepared;
        public int ZeroPoint;

        public readonly void Execute(int start, int end) => Prepared.PrepareRange(X, start, end, ZeroPoint);
    }

    /// <summary>
    /// One block of 32 floats straight into the packed arrays, with the quants of a Q8_0 block
    /// (<see cref="ActivationQuantizer.TryQ8_0Quants"/>, so the bits match the row-major kernels) still in registers;
    /// returns Σq. Going through a Q8_0 block and back cost a small model's prefill several times what this pass does.
    /// </summary>
    /// <remarks><paramref name="minimumScale"/> is null when the minimum term's scale is not wanted.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int QuantizeBlock(float* x, byte* quants, float* scale, float* minimumScale)
    {
        if (!ActivationQuantizer.TryQ8_0Quants(x, out float d, out var q0, out var q1, out var q2, out var q3))
            return QuantizeSpecialBlock(x, quants, scale, minimumScale);
        ActivationQuantizer.PackQuants(q0, q1, q2, q3).Store((sbyte*)quants);
        int sum = Vector256.Sum((q0 + q1) + (q2 + q3));
        // After the quants are stored: ThroughHalf's rare path is a call, and vectors live across it were spilled.
        *scale = Fp16.ThroughHalf(d) * PackedScales.Rescale;
        if (minimumScale != null)
            *minimumScale = MinimumScale(d, sum);
        return sum;
    }

    /// <summary>
    /// d·Σq rounded to F16, d taken before its own rounding — the s of ggml's Q8_1 block (<see cref="BlockQ8_1"/>), which
    /// ggml pairs with Q4_1 and Q5_1 and so does the row-major path; an infinity where it overflows the half, as there —
    /// times <see cref="PackedScales.Rescale"/>, which the minimums' 2^-112 takes out again in the kernels' FMA.
    /// Taken from the rounded d instead, the minimum term left one near-tied position of llama.cpp's Q5_1 file of the
    /// dense test model with another top token than llama.cpp's (LlamaCppLogitTests).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MinimumScale(float d, int sum)
    {
        float product = d * sum;
        // The rounding is symmetric, and ThroughHalf takes a few integer steps for positive normal halves. A finite half
        // times 2^112 stays finite and exact.
        return MathF.CopySign(Fp16.ThroughHalf(MathF.Abs(product)), product) * PackedScales.Rescale;
    }

    /// <summary><see cref="QuantizeBlock"/> for a block with a NaN or an infinity, or too small a scale: through the scalar
    /// reference's Q8_1 block (Q8_0's quants and scale, and the s of the minimum term), whose bytes the fast path matches
    /// for every other block.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int QuantizeSpecialBlock(float* x, byte* quants, float* scale, float* minimumScale)
    {
        byte* block = stackalloc byte[BlockQ8_1.ByteCount];
        BlockQ8_1.Quantize(x, block);
        int sum = 0;
        for (int j = 0; j < 32; j++)
        {
            quants[j] = block[BlockQ8_1.QuantOffset + j];
            sum += (sbyte)block[BlockQ8_1.QuantOffset + j];
        }
        *scale = Fp16.Load(block) * PackedScales.Rescale;
        if (minimumScale != null)
            *minimumScale = Fp16.Load(block + 2) * PackedScales.Rescale;
        return sum;
    }
}
