namespace FastInfer.Lpu.Compiler;

public enum LpuStepKind
{
    /// <summary>Stream weight tiles (and KV cache) through the matrix or vector units.</summary>
    Compute,
    /// <summary>Add partial results received from peers.</summary>
    Reduce,
    /// <summary>Put activations on the links to <see cref="LpuStep.Peers"/>.</summary>
    Send,
    /// <summary>Wait until the message <see cref="LpuStep.Tag"/> from every peer has arrived.</summary>
    Receive,
}

/// <summary>
/// One entry of a chip's fixed schedule. Quantities are stored per token so that the simulator can time the same
/// program for one decode token or a whole prompt; <see cref="Seconds"/> is the cost model's time for one decode
/// token at the program's reference position (for a receive: the latency of its slowest message).
/// </summary>
public sealed record LpuStep
{
    public required LpuStepKind Kind { get; init; }
    public required string Label { get; init; }
    /// <summary>Pipeline unit (see <see cref="LpuUnits"/>).</summary>
    public required int Unit { get; init; }
    /// <summary>Weight bytes streamed once per pass, however many tokens the pass carries.</summary>
    public long WeightBytes { get; init; }
    /// <summary>Ids of the tiles this step reads.</summary>
    public IReadOnlyList<int> Tiles { get; init; } = [];
    /// <summary>KV-cache bytes read per cached position.</summary>
    public double KvBytesPerPosition { get; init; }
    public double OpsPerToken { get; init; }
    /// <summary>Attention operations per token per cached position.</summary>
    public double OpsPerPosition { get; init; }
    /// <summary>Dependent operations, each paying the spec's pipeline latency.</summary>
    public int FixedOps { get; init; }
    public long BytesPerPeerPerToken { get; init; }
    public IReadOnlyList<int> Peers { get; init; } = [];
    public int Tag { get; init; } = -1;
    public double Seconds { get; init; }
}
