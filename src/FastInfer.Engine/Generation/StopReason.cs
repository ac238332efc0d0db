namespace FastInfer.Engine.Generation;

/// <summary>Why a generation call ended.</summary>
public enum StopReason
{
    /// <summary>Still running, or nothing generated yet.</summary>
    None,
    /// <summary>The model produced an end-of-generation token.</summary>
    EndOfSequence,
    /// <summary>The requested number of tokens was generated.</summary>
    MaxTokens,
    /// <summary>One of the caller's stop strings appeared.</summary>
    StopString,
    /// <summary>The session's context is full.</summary>
    ContextFull,
    /// <summary>The caller's cancellation token fired.</summary>
    Cancelled,
}
