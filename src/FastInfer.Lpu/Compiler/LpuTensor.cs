namespace FastInfer.Lpu.Compiler;

/// <summary>The weight (or cache) a tile is cut from. RMSNorm gains are folded into the following matrix at compile
/// time, so they have no tiles of their own.</summary>
public enum LpuTensor
{
    TokenEmbedding,
    Query,
    Key,
    Value,
    AttentionOutput,
    KvCache,
    FeedForwardGate,
    FeedForwardUp,
    FeedForwardDown,
    Router,
    ExpertGate,
    ExpertUp,
    ExpertDown,
    Output,
}
