namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>
/// A decode-attention kernel that folds a tile of consecutive cached rows, read in place, into the running state of the
/// query heads sharing one KV head (<see cref="SplitContextDecodeJob{TKv}"/> walks the blocks, tiles and KV heads, and
/// decides which tiles must be read exactly). A struct per vector width, so the walk compiles once for each.
/// </summary>
internal unsafe interface IGroupTile
{
    /// <summary>Where a head's lane-wise running sums start, counted from its running max.</summary>
    const int SumsOffset = 16;

    /// <summary>The most lanes those sums take (the widest tile's).</summary>
    const int MaxSumLanes = 16;

    /// <summary>Cached positions per tile.</summary>
    static abstract int Positions { get; }

    /// <summary>Heads of a group one call takes at most (larger groups go in chunks; 4 for both widths).</summary>
    static abstract int MaxHeads { get; }

    /// <summary>Floats of per-thread scratch <see cref="Attend{TKv, THeads}"/> needs.</summary>
    static abstract int ScratchFloats { get; }

    /// <summary>
    /// Folds rows [0, <paramref name="count"/>) of the tile into the running state of <typeparamref name="THeads"/> heads.
    /// </summary>
    /// <param name="q">the heads' queries, <paramref name="headDim"/> apart, multiplied by <typeparamref name="TKv"/>'s shortfall scale.</param>
    /// <param name="keys">the first row's K slice of this KV head; further rows <paramref name="rowBytes"/> apart (as for values).</param>
    /// <param name="prefetchAhead">bytes from these rows to the ones the caller reads next (prefetched meanwhile).</param>
    /// <param name="state">per head, <paramref name="stateStride"/> apart: the unnormalised output (headDim floats), then at
    /// <paramref name="maxOffset"/> the running max, and <see cref="SumsOffset"/> floats on the running sum split over lanes.</param>
    static abstract void Attend<TKv, THeads>(float* q, byte* keys, byte* values, long rowBytes, int count, int headDim, float scale,
        float* state, int stateStride, int maxOffset, float* scratch, long prefetchAhead) where TKv : IKvRow where THeads : IFixedCount;

    /// <summary><see cref="Attend{TKv, THeads}"/> of <typeparamref name="TTile"/> for 1 to 4 heads counted at run time.</summary>
    static void Attend<TTile, TKv>(int heads, float* q, byte* keys, byte* values, long rowBytes, int count, int headDim, float scale,
        float* state, int stateStride, int maxOffset, float* scratch, long prefetchAhead) where TTile : IGroupTile where TKv : IKvRow
    {
        switch (heads)
        {
            case 4: TTile.Attend<TKv, FourHeads>(q, keys, values, rowBytes, count, headDim, scale, state, stateStride, maxOffset, scratch, prefetchAhead); break;
            case 3: TTile.Attend<TKv, ThreeHeads>(q, keys, values, rowBytes, count, headDim, scale, state, stateStride, maxOffset, scratch, prefetchAhead); break;
            case 2: TTile.Attend<TKv, TwoHeads>(q, keys, values, rowBytes, count, headDim, scale, state, stateStride, maxOffset, scratch, prefetchAhead); break;
            default: TTile.Attend<TKv, OneHead>(q, keys, values, rowBytes, count, headDim, scale, state, stateStride, maxOffset, scratch, prefetchAhead); break;
        }
    }

    /// <summary>The running sum from its lane-wise parts at <paramref name="sums"/>.</summary>
    static abstract float Total(float* sums);
}
