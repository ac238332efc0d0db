using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Packed;

/// <summary>
/// A K-quant that packs into row-interleaved super-blocks: a group of eight rows is a run of super-blocks of 256
/// columns, each written from the eight rows' ggml blocks for those columns.
/// </summary>
internal unsafe interface IPackedSuperBlockFormat
{
    static abstract GgmlType Type { get; }

    /// <summary>Bytes of one super-block of a group (eight rows).</summary>
    static abstract int SuperBlockBytes { get; }

    /// <summary>
    /// Copies between ggml block <paramref name="block"/> of row <paramref name="lane"/> and its lane of a group's
    /// super-block, in the direction <typeparamref name="TCopy"/> gives: <see cref="ToPacked"/> packs the block,
    /// <see cref="ToBlock"/> writes it back as the file held it. One walk of the layout serves both.
    /// </summary>
    static abstract void Copy<TCopy>(byte* block, int lane, byte* superBlock) where TCopy : struct, ILaneCopy;

    /// <summary>True when the block's F16 scales convert exactly (<see cref="PackedScales.IsFinite"/>).</summary>
    static abstract bool HasFiniteScales(byte* block);

    /// <summary>
    /// Super-block <paramref name="s"/> of a group (at <paramref name="superBlock"/>) against the token: each row's float
    /// chain gains its term. Decode streams every super-block once from DRAM, so this also asks for the super-block's
    /// lines <see cref="PackedPrefetch.Distance"/> ahead: all at once before its loads (<see cref="PackedPrefetch.Ahead"/>),
    /// or a few at a time among them (<see cref="PackedPrefetch.Lines"/>) where that was measured faster.
    /// </summary>
    static abstract Vector256<float> Dot<TStep>(byte* superBlock, in PackedKActivations a, int s, Vector256<float> acc) where TStep : struct, IPackedStep;

    /// <summary>Whether <see cref="PairDot"/> takes two groups' super-blocks at once with <typeparamref name="TStep"/> (a
    /// constant, so the JIT keeps one walk).</summary>
    static virtual bool PairsGroups<TStep>() where TStep : struct, IPackedStep => false;

    /// <summary><see cref="Dot"/> of super-block <paramref name="s"/> of two groups at once, the same bits per group; only
    /// called where <see cref="PairsGroups"/> says so.</summary>
    static virtual void PairDot<TStep>(byte* superBlockA, byte* superBlockB, in PackedKActivations a, int s,
        ref Vector256<float> accA, ref Vector256<float> accB) where TStep : struct, IPackedStep
        => throw new NotSupportedException("this format does not pair groups");
}
