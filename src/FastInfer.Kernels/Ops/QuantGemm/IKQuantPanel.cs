namespace FastInfer.Kernels.Ops.QuantGemm;

/// <summary>
/// How one K-quant weight type unpacks into the prefill panel (<see cref="PanelLayout"/>). Every type becomes the same
/// thing: unsigned byte quants, an integer scale per sub-block, and an offset term per pair of 16-column activation
/// groups, so one micro-kernel serves them all:
/// row·token = da·(d·Σ_s scale_s·(q·a)_s + offsetFactor·Σ_i offsetPair_i·(activation group sums)_i).
/// </summary>
internal unsafe interface IKQuantPanel
{
    static abstract GgmlType Type { get; }

    /// <summary>Columns per integer scale: 32 (Q4_K, Q5_K) or 16 (Q2_K, Q3_K, Q6_K).</summary>
    static abstract int SubBlockColumns { get; }

    /// <summary>The largest unsigned quant (3 for Q2_K up to 63 for Q6_K): how long vpmaddubsw results may add in int16
    /// (<see cref="Packed.MaddubsPackedStep.Int16Run"/>).</summary>
    static abstract int MaxQuant { get; }

    /// <summary>The block's 256 unsigned quants in column order, one byte each, to <paramref name="destination"/>.</summary>
    static abstract void Quants(byte* block, byte* destination);

    /// <summary>
    /// The block's header for one row. Writes scale s at <c>scales[8·s]</c>, offset pair i (two int16 in one int, the
    /// multipliers of activation groups 2i and 2i+1) at <c>offsets[8·i]</c>, so the caller interleaves eight rows.
    /// </summary>
    static abstract void Header(byte* block, int* scales, int* offsets, out float d, out float offsetFactor);
}
