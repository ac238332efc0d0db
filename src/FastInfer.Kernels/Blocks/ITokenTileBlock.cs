using System.Runtime.Intrinsics;
using FastInfer.Kernels.Blocks.Simd;

namespace FastInfer.Kernels.Blocks;

/// <summary>
/// A weight block type that can run one block against four tokens' activation blocks at once (the prefill tile),
/// unpacking the weights once instead of four times. Lane sums equal four <see cref="IIntegerDotBlock{T}.Dot256"/> calls.
/// </summary>
public unsafe interface ITokenTileBlock<TActivation> : IIntegerDotBlock<TActivation> where TActivation : IQuantizableBlock
{
    static abstract void Dot256x4<TDot>(byte* weight, byte* a0, byte* a1, byte* a2, byte* a3,
        ref Vector256<float> c0, ref Vector256<float> c1, ref Vector256<float> c2, ref Vector256<float> c3)
        where TDot : struct, IInt8Dot256;
}

/// <summary>The four-token step for any <see cref="IIntegerDotBlock{T}"/>: four independent block dots.</summary>
public unsafe interface ITokenTile
{
    static abstract void Dot4<TDot>(byte* weight, byte* a0, byte* a1, byte* a2, byte* a3,
        ref Vector256<float> c0, ref Vector256<float> c1, ref Vector256<float> c2, ref Vector256<float> c3)
        where TDot : struct, IInt8Dot256;
}

/// <summary>Four separate <see cref="IIntegerDotBlock{T}.Dot256"/> calls.</summary>
public readonly unsafe struct SeparateTokens<TW, TA> : ITokenTile
    where TW : struct, IIntegerDotBlock<TA> where TA : struct, IQuantizableBlock
{
    public static void Dot4<TDot>(byte* weight, byte* a0, byte* a1, byte* a2, byte* a3,
        ref Vector256<float> c0, ref Vector256<float> c1, ref Vector256<float> c2, ref Vector256<float> c3)
        where TDot : struct, IInt8Dot256
    {
        c0 = TW.Dot256<TDot>(weight, a0, c0);
        c1 = TW.Dot256<TDot>(weight, a1, c1);
        c2 = TW.Dot256<TDot>(weight, a2, c2);
        c3 = TW.Dot256<TDot>(weight, a3, c3);
    }
}

/// <summary>The block type's own <see cref="ITokenTileBlock{T}.Dot256x4"/>.</summary>
public readonly unsafe struct SharedUnpack<TW, TA> : ITokenTile
    where TW : struct, ITokenTileBlock<TA> where TA : struct, IQuantizableBlock
{
    public static void Dot4<TDot>(byte* weight, byte* a0, byte* a1, byte* a2, byte* a3,
        ref Vector256<float> c0, ref Vector256<float> c1, ref Vector256<float> c2, ref Vector256<float> c3)
        where TDot : struct, IInt8Dot256
        => TW.Dot256x4<TDot>(weight, a0, a1, a2, a3, ref c0, ref c1, ref c2, ref c3);
}
