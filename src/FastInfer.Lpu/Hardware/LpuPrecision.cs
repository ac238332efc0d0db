namespace FastInfer.Lpu.Hardware;

/// <summary>The number format the matrix units multiply in; it sets both the peak rate and the bytes per weight.</summary>
public enum LpuPrecision
{
    Int8,
    Fp16,
}

public static class LpuPrecisions
{
    /// <summary>Parses "int8" or "fp16" (case-insensitive).</summary>
    public static LpuPrecision Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "int8" or "i8" or "q8" => LpuPrecision.Int8,
        "fp16" or "f16" or "half" => LpuPrecision.Fp16,
        _ => throw new ArgumentException($"unknown precision '{text}': expected int8 or fp16"),
    };

    public static string Name(this LpuPrecision precision) => precision == LpuPrecision.Int8 ? "int8" : "fp16";

    /// <summary>Bytes one weight occupies when stored at this precision.</summary>
    public static int WeightBytes(this LpuPrecision precision) => precision == LpuPrecision.Int8 ? 1 : 2;
}
