namespace FastInfer.Lpu.Hardware;

/// <summary>The named specs the CLI accepts.</summary>
public static class LpuSpecs
{
    public static IReadOnlyList<string> Names { get; } = [GroqChip1.Name, ThisCpu.Name];

    /// <summary>The spec called <paramref name="name"/>, with <paramref name="chips"/> chips or the preset's default.</summary>
    public static LpuSpec ByName(string name, int? chips = null)
    {
        if (chips is <= 0)
            throw new ArgumentException($"chip count {chips} must be positive");
        return name.Trim().ToLowerInvariant() switch
        {
            GroqChip1.Name => GroqChip1.Spec(chips ?? GroqChip1.DefaultChips),
            ThisCpu.Name => ThisCpu.Spec(chips),
            _ => throw new ArgumentException($"unknown LPU spec '{name}': expected {string.Join(" or ", Names)}"),
        };
    }
}
