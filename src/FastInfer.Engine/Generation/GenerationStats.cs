namespace FastInfer.Engine.Generation;

/// <summary>Counts and timings of the last generation call of a session, and the sampling seed it used.</summary>
public sealed record GenerationStats(
    int PromptTokens,
    int GeneratedTokens,
    TimeSpan PromptTime,
    TimeSpan GenerationTime,
    StopReason StopReason,
    ulong Seed)
{
    public double PromptTokensPerSecond => PromptTokens == 0 ? 0 : PromptTokens / Math.Max(PromptTime.TotalSeconds, 1e-9);
    public double GenerationTokensPerSecond => GeneratedTokens == 0 ? 0 : GeneratedTokens / Math.Max(GenerationTime.TotalSeconds, 1e-9);
}
