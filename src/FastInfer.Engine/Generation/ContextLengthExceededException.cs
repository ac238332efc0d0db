namespace FastInfer.Engine.Generation;

/// <summary>A prompt does not fit in what is left of the session's context.</summary>
public sealed class ContextLengthExceededException : ArgumentException
{
    public ContextLengthExceededException(int promptTokens, int position, int contextLength)
        : base($"the prompt has {promptTokens} tokens but only {contextLength - position} of the context's {contextLength} are free " +
               $"({position} already used); shorten the prompt, reset the session or load the model with a longer context")
    {
        PromptTokens = promptTokens;
        Position = position;
        ContextLength = contextLength;
    }

    public int PromptTokens { get; }
    public int Position { get; }
    public int ContextLength { get; }
}
