using FastInfer.Engine.Sampling;

namespace FastInfer.Engine.Generation;

/// <summary>What one call to generate does: how many tokens at most, how to sample, where to stop.</summary>
public sealed record GenerationSettings
{
    /// <summary>Most new tokens to generate.</summary>
    public int MaxTokens { get; init; } = 256;
    public SamplingSettings Sampling { get; init; } = new();
    /// <summary>Generation ends before the first occurrence of any of these; the stop string is not returned.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>Start a fresh session's prompt with the beginning-of-sequence token (as Llama models were trained).</summary>
    public bool AddBos { get; init; } = true;
    /// <summary>Read special-token text in the prompt (&lt;|eot_id|&gt;, [INST] …) as those tokens; chat templates need it.</summary>
    public bool ParseSpecialTokens { get; init; }

    public void Validate()
    {
        if (MaxTokens < 0)
            throw new ArgumentException($"max tokens {MaxTokens} must not be negative");
        if (StopStrings.Any(string.IsNullOrEmpty))
            throw new ArgumentException("stop strings must not be empty");
        Sampling.Validate();
    }
}
