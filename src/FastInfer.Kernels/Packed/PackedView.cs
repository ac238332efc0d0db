namespace FastInfer.Kernels.Packed;

/// <summary>
/// Where a <see cref="WeightMatrix"/>'s row-interleaved copy lies: the group holding the view's first row, the
/// distance between groups, and which lane of that group the first row is. A row slice moves the pointer by whole
/// groups and keeps the remainder in <see cref="RowOffset"/>, so any slice stays packed: the kernels compute the
/// groups the slice touches and store only its rows (each lane is one row's own chain, so the bits do not change).
/// </summary>
internal readonly struct PackedView
{
    /// <param name="secondHalf">bytes from a group's lanes 0–3 to its lanes 4–7 in layouts that store the two halves of
    /// a group apart (<see cref="PackedHalfFloat"/>); 0 where a group is one piece.</param>
    public PackedView(nint firstGroup, long groupBytes, int rowOffset, long secondHalf = 0)
    {
        FirstGroup = firstGroup;
        GroupBytes = groupBytes;
        RowOffset = rowOffset;
        SecondHalf = secondHalf;
    }

    /// <summary>Zero when the matrix has no packed copy.</summary>
    public nint FirstGroup { get; }
    public long GroupBytes { get; }
    public int RowOffset { get; }
    public long SecondHalf { get; }
    public bool IsPresent => FirstGroup != 0;

    /// <summary>The view of rows [first, …) of the matrix this view describes.</summary>
    public PackedView Skip(int first)
    {
        int lane = RowOffset + first;
        return new PackedView(FirstGroup + (nint)(lane / PackedLayout.GroupRows * GroupBytes), GroupBytes, lane % PackedLayout.GroupRows, SecondHalf);
    }

    /// <summary>Groups a view of <paramref name="rows"/> rows touches.</summary>
    public int GroupCount(int rows) => (RowOffset + rows + PackedLayout.GroupRows - 1) / PackedLayout.GroupRows;
}
