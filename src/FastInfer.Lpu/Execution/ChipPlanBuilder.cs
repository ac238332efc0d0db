using FastInfer.Engine.Models;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Lpu.Compiler;

namespace FastInfer.Lpu.Execution;

/// <summary>
/// Turns a compiled program into each chip's list of operations on real weights. Tiles become zero-copy row slices
/// of the model's matrices; every all-gather of the schedule becomes a barrier of the stage's chips, every stage
/// hand-off a barrier of the two stages. Nothing else synchronises, and nothing is decided at run time but which
/// embedding row and which experts a token needs.
/// </summary>
internal sealed class ChipPlanBuilder
{
    private readonly LpuProgram _program;
    private readonly LlamaWeights _weights;
    private readonly LlamaConfig _config;
    private readonly RopeTable _rope;
    private readonly ChipLinks _links;
    private readonly ChipFault _fault;
    private readonly List<ChipOp>[] _ops;
    private readonly ILookup<(int Chip, int Layer), LpuTile> _tiles;

    private ChipPlanBuilder(LpuProgram program, LlamaWeights weights, RopeTable rope, ChipLinks links, ChipFault fault)
    {
        _program = program;
        _weights = weights;
        _config = weights.Config;
        _rope = rope;
        _links = links;
        _fault = fault;
        _ops = Enumerable.Range(0, program.ChipsUsed).Select(_ => new List<ChipOp>()).ToArray();
        _tiles = program.Tiles.ToLookup(t => (t.Chip, t.Layer));
    }

    public static ChipOp[][] Build(LpuProgram program, LlamaWeights weights, RopeTable rope, ChipLinks links, ChipFault fault)
    {
        var builder = new ChipPlanBuilder(program, weights, rope, links, fault);
        builder.EmitEmbedding();
        for (int s = 0; s < program.Stages.Count; s++)
            builder.EmitStage(program.Stages[s]);
        return builder._ops.Select(list => list.ToArray()).ToArray();
    }

    private static int[] ChipsOf(LpuStage stage) => Enumerable.Range(stage.FirstChip, stage.Width).ToArray();

    private IEnumerable<LpuTile> Tiles(int chip, int layer, LpuTensor tensor) => _tiles[(chip, layer)].Where(t => t.Tensor == tensor);

    private LpuTile? Tile(int chip, int layer, LpuTensor tensor) => Tiles(chip, layer, tensor).FirstOrDefault();

    private static WeightMatrix Slice(WeightMatrix matrix, LpuTile tile) => matrix.SliceRows(tile.Start, tile.End - tile.Start);

    /// <summary>A barrier for <paramref name="chips"/>, or none when a chip would only wait for itself.</summary>
    private void Sync(IReadOnlyCollection<int> chips)
    {
        if (chips.Count < 2)
            return;
        var barrier = new SpinBarrier(chips.Count, _fault);
        foreach (int chip in chips)
            _ops[chip].Add(new SyncOp(barrier));
    }

    /// <summary>
    /// The chips holding rows of the embedding table (the output head's, when the model ties them) write the token's
    /// row; the first stage takes it after the transfer.
    /// </summary>
    private void EmitEmbedding()
    {
        var tensor = _weights.TiedOutput ? LpuTensor.Output : LpuTensor.TokenEmbedding;
        var holders = _program.Tiles.Where(t => t.Tensor == tensor).ToArray();
        foreach (var tile in holders)
            _ops[tile.Chip].Add(new EmbedLookupOp(Slice(_weights.TokenEmbedding, tile), tile.Start, _links.Embedding));
        var first = ChipsOf(_program.Stages[0]);
        Sync(holders.Select(t => t.Chip).Concat(first).Distinct().Order().ToArray());
        foreach (int chip in first)
            _ops[chip].Add(new LoadResidualOp(_links.Embedding, _config.EmbeddingLength));
    }

    private void EmitStage(LpuStage stage)
    {
        var chips = ChipsOf(stage);
        if (stage.Index > 0)
        {
            // The previous stage stored its residual and waits here with this one.
            var previous = ChipsOf(_program.Stages[stage.Index - 1]);
            Sync(previous.Concat(chips).ToArray());
            foreach (int chip in chips)
                _ops[chip].Add(new LoadResidualOp(_links.Handoff[stage.Index - 1], _config.EmbeddingLength));
        }
        for (int unit = Math.Max(1, stage.FirstUnit); unit <= stage.LastUnit; unit++)
        {
            if (unit == LpuUnits.Head(_program.Shape))
                EmitHead(chips);
            else
                EmitLayer(LpuUnits.LayerOf(unit), chips);
        }
        if (stage.Index < _program.Stages.Count - 1)
            _ops[chips[0]].Add(new StoreResidualOp(_links.Handoff[stage.Index], _config.EmbeddingLength));
    }

    private void EmitLayer(int layer, int[] chips)
    {
        var w = _weights.Layers[layer];
        int hd = _config.HeadDimension, qPerKv = _config.HeadCount / _config.KvHeadCount, dim = _config.EmbeddingLength;
        int queryDimension = _config.HeadCount * hd;
        foreach (int chip in chips)
        {
            if (Tile(chip, layer, LpuTensor.KvCache) is not { } cache)
                continue;
            var q = Tile(chip, layer, LpuTensor.Query)!;
            var k = Tile(chip, layer, LpuTensor.Key)!;
            var v = Tile(chip, layer, LpuTensor.Value)!;
            int kvHeads = cache.End - cache.Start;
            _ops[chip].Add(new RmsNormOp(w.AttentionNorm, _config.RmsEpsilon, dim));
            _ops[chip].Add(new AttendOp(layer, Slice(w.Query, q), Slice(w.Key, k), Slice(w.Value, v), _rope,
                kvHeads * qPerKv, kvHeads, hd, _config.SlidingWindow, _links.Heads, q.Start, queryDimension));
        }
        Sync(chips);
        foreach (int chip in chips)
        {
            if (Tile(chip, layer, LpuTensor.AttentionOutput) is { } o)
                _ops[chip].Add(new ProjectOp(Slice(w.AttentionOutput, o), _links.Heads, _links.Rows, o.Start, dim));
        }
        Sync(chips);
        foreach (int chip in chips)
        {
            _ops[chip].Add(new AddResidualOp(_links.Rows, dim));
            _ops[chip].Add(new RmsNormOp(w.FeedForwardNorm, _config.RmsEpsilon, dim));
        }
        if (w.Experts is { } moe)
            EmitExperts(layer, chips, moe);
        else
            EmitFeedForward(layer, chips, w.Dense!);
    }

    private void EmitFeedForward(int layer, int[] chips, DenseFeedForward ffn)
    {
        int hidden = _config.FeedForwardLength, dim = _config.EmbeddingLength;
        foreach (int chip in chips)
        {
            if (Tile(chip, layer, LpuTensor.FeedForwardGate) is not { } gate)
                continue;
            var up = Tile(chip, layer, LpuTensor.FeedForwardUp)!;
            _ops[chip].Add(new ProjectOp(Slice(ffn.Gate, gate), null, _links.Gate, gate.Start, hidden));
            _ops[chip].Add(new ProjectOp(Slice(ffn.Up, up), null, _links.Up, up.Start, hidden));
            _ops[chip].Add(new SwiGluOp(_links.Gate, _links.Up, gate.Start, gate.End, hidden));
        }
        Sync(chips);
        foreach (int chip in chips)
        {
            if (Tile(chip, layer, LpuTensor.FeedForwardDown) is { } down)
                _ops[chip].Add(new ProjectOp(Slice(ffn.Down, down), _links.Gate, _links.Rows, down.Start, dim));
        }
        Sync(chips);
        foreach (int chip in chips)
            _ops[chip].Add(new AddResidualOp(_links.Rows, dim));
    }

    private void EmitExperts(int layer, int[] chips, ExpertFeedForward moe)
    {
        foreach (int chip in chips)
        {
            if (Tile(chip, layer, LpuTensor.Router) is { } router)
                _ops[chip].Add(new ProjectOp(Slice(moe.Router, router), null, _links.RouterLogits, router.Start, _config.ExpertCount));
        }
        Sync(chips);
        int ffn = _config.FeedForwardLength, dim = _config.EmbeddingLength;
        ExpertTile[] Of(int chip, LpuTensor tensor, Func<DenseFeedForward, WeightMatrix> matrix) =>
            Tiles(chip, layer, tensor).OrderBy(t => t.Expert).Select(t => new ExpertTile(t.Expert, Slice(matrix(moe.Experts[t.Expert]), t), t.Start)).ToArray();
        foreach (int chip in chips)
        {
            _ops[chip].Add(new RouteOp(_links.RouterLogits));
            _ops[chip].Add(new ExpertHiddenOp(Of(chip, LpuTensor.ExpertGate, e => e.Gate), Of(chip, LpuTensor.ExpertUp, e => e.Up), _links.ExpertGate, _links.ExpertUp, ffn));
        }
        Sync(chips);
        foreach (int chip in chips)
            _ops[chip].Add(new ExpertRowsOp(Of(chip, LpuTensor.ExpertDown, e => e.Down), _links.ExpertGate, _links.ExpertRows, ffn, dim));
        Sync(chips);
        foreach (int chip in chips)
            _ops[chip].Add(new CombineExpertsOp(_links.ExpertRows, dim));
    }

    private void EmitHead(int[] chips)
    {
        foreach (int chip in chips)
        {
            if (Tile(chip, -1, LpuTensor.Output) is not { } output)
                continue;
            // A prompt pass needs the logits of its last token only, as the Engine's prefill computes them.
            _ops[chip].Add(new RmsNormOp(_weights.OutputNorm, _config.RmsEpsilon, _config.EmbeddingLength, lastOnly: true));
            _ops[chip].Add(new ProjectOp(Slice(_weights.Output, output), null, null, output.Start, _config.VocabularySize, lastOnly: true));
        }
    }
}
