using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastInfer.Kernels.Blocks;
using FastInfer.Kernels.Blocks.Simd;
using FastInfer.Kernels.Isa;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// One weight row against one prepared activation row, at each vector width. The loop skeletons are generic over
/// the block type, so each (type, width) pair compiles to its own straight-line kernel.
/// </summary>
internal static unsafe class RowDot
{
    /// <summary>
    /// Whether the integer kernels of <paramref name="path"/> run 256-bit AVX-VNNI (vpdpbusd): on the AVX-512 and AVX2
    /// paths of a CPU that has it. vpdpbusd adds a lane's four products into its int32 in one instruction, where AVX2
    /// spends vpmaddubsw, vpmaddwd and vpaddd (or, for small weights, vpmaddubsw and an int16 vpaddw per step), and needs
    /// no sign split for Q8_0; the int sums, and so the results, are the same bits either way. On the AVX-512 path of a
    /// Zen 5 a Q8_0 row in L2 ran ~25% faster this way than as 512-bit vpmaddubsw+vpmaddwd over two blocks per register,
    /// and 512-bit vpdpbusd needs AVX10, which the runtime does not report there. The AVX2 path's VNNI kernels (Intel
    /// cores from Alder Lake on) have not been timed: no machine this project ran on has AVX-VNNI without AVX-512.
    /// </summary>
    // Below an AVX-512 CPU the AVX-512 path runs only emulated (tests, KernelIsa.EmulatesAvx512), and then as a Zen 5
    // does, with AVX-VNNI (emulated too: Avx512Ops). Either path's choice can be turned the other way by the tests
    // (KernelIsa.AvxVnniOverride), so both of its kinds run on any machine.
    public static bool UsesVnni(IsaPath path) => path switch
    {
        >= IsaPath.Avx512 => KernelIsa.AvxVnniOverride ?? (AvxVnni.IsSupported || KernelIsa.Hardware < IsaPath.Avx512),
        IsaPath.Avx2 => KernelIsa.AvxVnniOverride ?? AvxVnni.IsSupported,
        _ => false,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Integer<TW, TA>(byte* weight, byte* activation, int blocks, IsaPath path)
        where TW : struct, IIntegerDotBlock<TA> where TA : struct, IQuantizableBlock
    {
        if (UsesVnni(path))
            return Integer256<TW, TA, VnniDot256>(weight, activation, blocks);
        if (path >= IsaPath.Avx2)
            return Integer256<TW, TA, Avx2Dot256>(weight, activation, blocks);
        if (path >= IsaPath.V128)
            return Integer128<TW, TA>(weight, activation, blocks);
        return IntegerScalar<TW, TA>(weight, activation, blocks);
    }

    public static float IntegerScalar<TW, TA>(byte* weight, byte* activation, int blocks)
        where TW : struct, IIntegerDotBlock<TA> where TA : struct, IQuantizableBlock
    {
        float sum = 0;
        for (int b = 0; b < blocks; b++)
            sum += TW.Dot(weight + b * TW.Bytes, activation + b * TA.Bytes);
        return sum;
    }

    public static float Integer128<TW, TA>(byte* weight, byte* activation, int blocks)
        where TW : struct, IIntegerDotBlock<TA> where TA : struct, IQuantizableBlock
    {
        var acc0 = Vector128<float>.Zero;
        var acc1 = Vector128<float>.Zero;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            acc0 = TW.Dot128(weight, activation, acc0);
            acc1 = TW.Dot128(weight + TW.Bytes, activation + TA.Bytes, acc1);
            weight += 2 * TW.Bytes;
            activation += 2 * TA.Bytes;
        }
        if (b < blocks)
            acc0 = TW.Dot128(weight, activation, acc0);
        return Vector128.Sum(acc0 + acc1);
    }

    public static float Integer256<TW, TA, TDot>(byte* weight, byte* activation, int blocks)
        where TW : struct, IIntegerDotBlock<TA> where TA : struct, IQuantizableBlock where TDot : struct, IInt8Dot256
    {
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            acc0 = TW.Dot256<TDot>(weight, activation, acc0);
            acc1 = TW.Dot256<TDot>(weight + TW.Bytes, activation + TA.Bytes, acc1);
            weight += 2 * TW.Bytes;
            activation += 2 * TA.Bytes;
        }
        if (b < blocks)
            acc0 = TW.Dot256<TDot>(weight, activation, acc0);
        return Vector256.Sum(acc0 + acc1);
    }

    /// <summary>A row of a float format against F32 activations.</summary>
    public static float Float<T>(byte* weight, float* x, int n, IsaPath path) where T : struct, IFloatBlock
    {
        int i = 0;
        float sum = 0;
        if (path >= IsaPath.Avx512 && n >= 16)
        {
            var acc0 = Vector512<float>.Zero;
            var acc1 = Vector512<float>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                acc0 = Vector512.FusedMultiplyAdd(T.Load512(weight + i * T.Bytes), Vector512.Load(x + i), acc0);
                acc1 = Vector512.FusedMultiplyAdd(T.Load512(weight + (i + 16) * T.Bytes), Vector512.Load(x + i + 16), acc1);
            }
            for (; i + 16 <= n; i += 16)
                acc0 = Vector512.FusedMultiplyAdd(T.Load512(weight + i * T.Bytes), Vector512.Load(x + i), acc0);
            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (path >= IsaPath.Avx2 && n >= 8)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                acc0 = Vector256.FusedMultiplyAdd(T.Load256(weight + i * T.Bytes), Vector256.Load(x + i), acc0);
                acc1 = Vector256.FusedMultiplyAdd(T.Load256(weight + (i + 8) * T.Bytes), Vector256.Load(x + i + 8), acc1);
            }
            for (; i + 8 <= n; i += 8)
                acc0 = Vector256.FusedMultiplyAdd(T.Load256(weight + i * T.Bytes), Vector256.Load(x + i), acc0);
            sum = Vector256.Sum(acc0 + acc1);
        }
        else if (path >= IsaPath.V128 && n >= 4)
        {
            var acc0 = Vector128<float>.Zero;
            var acc1 = Vector128<float>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                acc0 = Vector128.FusedMultiplyAdd(T.Load128(weight + i * T.Bytes), Vector128.Load(x + i), acc0);
                acc1 = Vector128.FusedMultiplyAdd(T.Load128(weight + (i + 4) * T.Bytes), Vector128.Load(x + i + 4), acc1);
            }
            for (; i + 4 <= n; i += 4)
                acc0 = Vector128.FusedMultiplyAdd(T.Load128(weight + i * T.Bytes), Vector128.Load(x + i), acc0);
            sum = Vector128.Sum(acc0 + acc1);
        }
        return FloatTail<T>(weight, x, i, n, sum);
    }

    /// <summary>Adds elements [i, n) of a row one at a time to the vector part's <paramref name="sum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float FloatTail<T>(byte* weight, float* x, int i, int n, float sum) where T : struct, IFloatBlock
    {
        for (; i < n; i++)
            sum += T.Load(weight + i * T.Bytes) * x[i];
        return sum;
    }
}
