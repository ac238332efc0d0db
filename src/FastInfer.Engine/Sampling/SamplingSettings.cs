namespace FastInfer.Engine.Sampling;

/// <summary>
/// How the next token is chosen from the logits. Applied in llama.cpp's order: repetition penalty,
/// top-k, top-p, min-p, temperature, then a draw. A temperature of 0 (or below) is greedy decoding.
/// </summary>
public sealed record SamplingSettings
{
    /// <summary>Greedy decoding: always the most likely token.</summary>
    public static SamplingSettings Greedy { get; } = new() { Temperature = 0 };

    public float Temperature { get; init; } = 0.8f;
    /// <summary>Keep the k most likely tokens; 0 keeps all.</summary>
    public int TopK { get; init; } = 40;
    /// <summary>Keep the smallest set of tokens whose probability reaches p; 1 keeps all.</summary>
    public float TopP { get; init; } = 0.95f;
    /// <summary>Drop tokens less likely than min-p times the most likely one; 0 keeps all.</summary>
    public float MinP { get; init; } = 0.05f;
    /// <summary>Divides positive (multiplies negative) logits of recently seen tokens; 1 is off.</summary>
    public float RepeatPenalty { get; init; } = 1.0f;
    /// <summary>How many recent tokens the repetition penalty looks at.</summary>
    public int RepeatLastN { get; init; } = 64;
    /// <summary>Seed of the draw; the same seed and settings give the same text. Null picks one at random.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        if (float.IsNaN(Temperature) || Temperature < 0)
            throw new ArgumentException($"temperature {Temperature} must be 0 (greedy) or positive");
        if (TopK < 0)
            throw new ArgumentException($"top-k {TopK} must be 0 (off) or positive");
        if (!(TopP > 0 && TopP <= 1))
            throw new ArgumentException($"top-p {TopP} must be in (0, 1]");
        if (!(MinP >= 0 && MinP < 1))
            throw new ArgumentException($"min-p {MinP} must be in [0, 1)");
        if (!(RepeatPenalty > 0))
            throw new ArgumentException($"repeat penalty {RepeatPenalty} must be positive");
        if (RepeatLastN < 0)
            throw new ArgumentException($"repeat-last-n {RepeatLastN} must not be negative");
    }
}
