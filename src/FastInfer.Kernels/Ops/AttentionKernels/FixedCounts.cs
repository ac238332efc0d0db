namespace FastInfer.Kernels.Ops.AttentionKernels;

/// <summary>A small count fixed at compile time (heads of a group, rows of K, slots of a register block); a struct per count so each kernel compiles separately.</summary>
internal interface IFixedCount
{
    static abstract int Count { get; }
}

internal struct OneHead : IFixedCount { public static int Count => 1; }
internal struct TwoHeads : IFixedCount { public static int Count => 2; }
internal struct ThreeHeads : IFixedCount { public static int Count => 3; }
internal struct FourHeads : IFixedCount { public static int Count => 4; }

internal struct OneRow : IFixedCount { public static int Count => 1; }
internal struct FourRows : IFixedCount { public static int Count => 4; }

// Slots of GroupTile256's register block: the K rows a query vector meets, or the V vectors along a row a weight meets.
internal struct OneSlot : IFixedCount { public static int Count => 1; }
internal struct TwoSlots : IFixedCount { public static int Count => 2; }
internal struct FourSlots : IFixedCount { public static int Count => 4; }
internal struct EightSlots : IFixedCount { public static int Count => 8; }
