namespace FastInfer.Kernels;

/// <summary>Block geometry of each <see cref="GgmlType"/>: how many elements a block holds and its bytes.</summary>
public static class GgmlTypeTraits
{
    /// <summary>Elements per block (1 for plain float and integer types).</summary>
    public static int BlockSize(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.F64 => 1,
        GgmlType.I8 or GgmlType.I16 or GgmlType.I32 or GgmlType.I64 => 1,
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q8_1 => 32,
        GgmlType.IQ4_NL => 32,
        _ => 256, // the K-quants, the IQ types and the ternary types use 256-element super-blocks
    };

    /// <summary>Bytes per block, or 0 when the type is unknown to FastInfer.</summary>
    public static int BlockBytes(GgmlType type) => type switch
    {
        GgmlType.F32 => 4,
        GgmlType.F16 => 2,
        GgmlType.BF16 => 2,
        GgmlType.F64 => 8,
        GgmlType.I8 => 1,
        GgmlType.I16 => 2,
        GgmlType.I32 => 4,
        GgmlType.I64 => 8,
        GgmlType.Q4_0 => 2 + 16,
        GgmlType.Q4_1 => 2 + 2 + 16,
        GgmlType.Q5_0 => 2 + 4 + 16,
        GgmlType.Q5_1 => 2 + 2 + 4 + 16,
        GgmlType.Q8_0 => 2 + 32,
        GgmlType.Q8_1 => 2 + 2 + 32,
        GgmlType.Q2_K => 256 / 16 + 256 / 4 + 2 + 2,
        GgmlType.Q3_K => 256 / 8 + 256 / 4 + 12 + 2,
        GgmlType.Q4_K => 2 + 2 + 12 + 256 / 2,
        GgmlType.Q5_K => 2 + 2 + 12 + 256 / 8 + 256 / 2,
        GgmlType.Q6_K => 256 / 2 + 256 / 4 + 256 / 16 + 2,
        GgmlType.Q8_K => 4 + 256 + 256 / 16 * 2,
        GgmlType.IQ4_NL => 2 + 16,
        GgmlType.IQ4_XS => 2 + 2 + 256 / 64 + 256 / 2,
        GgmlType.IQ2_XXS => 2 + 256 / 4,
        GgmlType.IQ2_XS => 2 + 256 / 4 + 256 / 32,
        GgmlType.IQ2_S => 2 + 256 / 4 + 256 / 16,
        GgmlType.IQ3_XXS => 2 + 3 * 256 / 8,
        GgmlType.IQ3_S => 2 + 13 * 256 / 32 + 256 / 64,
        GgmlType.IQ1_S => 2 + 256 / 8 + 256 / 16,
        GgmlType.IQ1_M => 256 / 8 + 256 / 16 + 256 / 32,
        GgmlType.TQ1_0 => 2 + 4 * 13,
        GgmlType.TQ2_0 => 2 + 64,
        _ => 0,
    };

    /// <summary>True when the id names a type whose block geometry FastInfer knows.</summary>
    public static bool IsKnown(GgmlType type) => BlockBytes(type) != 0;

    /// <summary>Whether elements of <paramref name="type"/> are plain floats (no blocks, no scales): F32, F16, BF16, F64.</summary>
    public static bool IsFloat(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.F64;

    /// <summary>True when FastInfer's kernels can multiply a weight matrix stored in this type.</summary>
    public static bool IsSupportedWeight(GgmlType type) => type is
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0
        or GgmlType.Q5_1 or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    /// <summary>Bytes of one row of <paramref name="elements"/> elements; throws when the row does not fill whole blocks.</summary>
    public static long RowBytes(GgmlType type, long elements)
    {
        int block = BlockSize(type);
        int bytes = BlockBytes(type);
        if (bytes == 0)
            throw new NotSupportedException($"tensor type {type} ({(uint)type}) is not supported");
        if (elements % block != 0)
            throw new ArgumentException($"a row of {elements} elements is not a whole number of {type} blocks of {block}");
        return elements / block * bytes;
    }
}
