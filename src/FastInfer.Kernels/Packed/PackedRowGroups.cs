namespace FastInfer.Kernels.Packed;

/// <summary>
/// The row grouping of every packed copy, for code outside the kernels that lays matrices out for them: a matrix
/// whose row count is a multiple of <see cref="Rows"/> fills whole groups, so matrices stacked row-wise (fused at
/// load) each start on a group of their own.
/// </summary>
public static class PackedRowGroups
{
    public const int Rows = PackedLayout.GroupRows;
}
