namespace FastInfer.Kernels.Packed;

/// <summary>
/// The ggml rows of a packed K-quant matrix, written back from the packed copy (each lane of a super-block is exactly one
/// row's block): prefill reads a few rows at a time from here, so once a matrix is packed its file rows need not stay in
/// memory beside the copy (<see cref="PackedWeights.ReplacesRows"/>).
/// </summary>
internal static unsafe class PackedRows
{
    public static bool CanRead(GgmlType type) => type is GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    /// <summary>Rows [<paramref name="first"/>, +<paramref name="count"/>) of <paramref name="w"/> (which must carry a packed copy)
    /// as ggml rows of <see cref="WeightMatrix.RowBytes"/> each at <paramref name="destination"/>.</summary>
    public static void Read(in WeightMatrix w, int first, int count, byte* destination)
    {
        if (!w.Packed.IsPresent || (uint)first > (uint)w.Rows || (uint)count > (uint)(w.Rows - first))
            throw new ArgumentOutOfRangeException(nameof(first), $"rows [{first}, {first + count}) of a {w.Rows}-row matrix with{(w.Packed.IsPresent ? "" : "out")} a packed copy");
        switch (w.Type)
        {
            case GgmlType.Q2_K: Read<PackedQ2_K>(w, first, count, destination); break;
            case GgmlType.Q3_K: Read<PackedQ3_K>(w, first, count, destination); break;
            case GgmlType.Q4_K: Read<PackedQ4_K>(w, first, count, destination); break;
            case GgmlType.Q5_K: Read<PackedQ5_K>(w, first, count, destination); break;
            case GgmlType.Q6_K: Read<PackedQ6_K>(w, first, count, destination); break;
            default: throw new NotSupportedException($"{w.Type} rows cannot be read back from a packed copy");
        }
    }

    private static void Read<TFormat>(in WeightMatrix w, int first, int count, byte* destination) where TFormat : struct, IPackedSuperBlockFormat
    {
        var view = w.Packed;
        int superBlocks = w.Columns / PackedKActivations.SuperBlockColumns;
        int blockBytes = GgmlTypeTraits.BlockBytes(TFormat.Type);
        for (int i = 0; i < count; i++)
        {
            int lane = view.RowOffset + first + i;
            byte* group = (byte*)view.FirstGroup + lane / PackedLayout.GroupRows * view.GroupBytes;
            byte* row = destination + i * w.RowBytes;
            for (int s = 0; s < superBlocks; s++)
                TFormat.Copy<ToBlock>(row + (long)s * blockBytes, lane % PackedLayout.GroupRows, group + (long)s * TFormat.SuperBlockBytes);
        }
    }
}
