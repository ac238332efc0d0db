using FastInfer.Kernels;

namespace FastInfer.Engine.Formats.Safetensors;

/// <summary>The element types the safetensors format defines, spelled as in its JSON header.</summary>
public enum SafetensorsDType
{
    BOOL,
    U8,
    I8,
    F8_E5M2,
    F8_E4M3,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
}

/// <summary>Sizes of the safetensors element types and how they map onto the types FastInfer computes with.</summary>
public static class SafetensorsDTypes
{
    /// <summary>Parses a header's dtype string; false for a name the format does not define.</summary>
    public static bool TryParse(string text, out SafetensorsDType dtype) => ByName.TryGetValue(text, out dtype);

    // Exact names only: Enum.TryParse would also accept numbers, padding and comma lists.
    private static readonly Dictionary<string, SafetensorsDType> ByName =
        Enum.GetValues<SafetensorsDType>().ToDictionary(d => d.ToString(), StringComparer.Ordinal);

    public static int ElementBytes(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.BOOL or SafetensorsDType.U8 or SafetensorsDType.I8 => 1,
        SafetensorsDType.F8_E5M2 or SafetensorsDType.F8_E4M3 => 1,
        SafetensorsDType.I16 or SafetensorsDType.U16 or SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.I32 or SafetensorsDType.U32 or SafetensorsDType.F32 => 4,
        SafetensorsDType.F64 or SafetensorsDType.I64 or SafetensorsDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The ggml type with the same bytes, or null when FastInfer cannot compute with this dtype.</summary>
    public static GgmlType? ToGgmlType(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => GgmlType.F32,
        SafetensorsDType.F16 => GgmlType.F16,
        SafetensorsDType.BF16 => GgmlType.BF16,
        _ => null,
    };

    /// <summary>The dtypes <see cref="ToGgmlType"/> maps, for error messages.</summary>
    public const string SupportedList = "F32, F16 and BF16";
}
