using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Compiler;

/// <summary>
/// Turns a <see cref="StageLayout"/> into tiles and per-chip schedules for one token. Inside a stage every chip
/// starts a unit holding the full activation vector; matrices are split so that each chip produces a partial result,
/// and an all-reduce (reduce-scatter, then all-gather, each one message to every peer) restores the full vector.
/// Between stages, chip i of a stage hands the vector to chip i of the next. The data-dependent parts (which
/// embedding row, which experts) are scheduled for their worst case, as a static schedule must be.
/// </summary>
internal sealed class ScheduleBuilder
{
    private readonly LpuModelShape _shape;
    private readonly LpuSpec _spec;
    private readonly LpuCostModel _cost;
    private readonly int _position;
    private readonly List<LpuStep>[] _schedules;
    private readonly List<LpuTile> _tiles = [];
    private readonly long[] _sram;
    private int _nextTag;

    private ScheduleBuilder(LpuModelShape shape, LpuSpec spec, int position)
    {
        _shape = shape;
        _spec = spec;
        _cost = new LpuCostModel(spec, shape.Precision);
        _position = position;
        _schedules = Enumerable.Range(0, spec.Chips).Select(_ => new List<LpuStep>()).ToArray();
        _sram = new long[spec.Chips];
    }

    private long ActivationBytes => (long)_shape.Embedding * _spec.ActivationBytes;

    public static LpuProgram Build(LpuModelShape shape, LpuSpec spec, StageLayout layout, int chipsNeeded, long usable, int position)
    {
        var builder = new ScheduleBuilder(shape, spec, position);
        var stages = layout.Stages.Select((s, i) => new LpuStage(i, i * layout.Width, layout.Width, s.FirstUnit, s.LastUnit)).ToArray();
        foreach (var stage in stages)
            builder.EmitStage(stage, stages);
        return new LpuProgram
        {
            Shape = shape,
            Spec = spec,
            Fits = true,
            ChipsNeeded = chipsNeeded,
            StageWidth = layout.Width,
            Stages = stages,
            Tiles = builder._tiles,
            Schedules = builder._schedules,
            SramUsed = builder._sram,
            UsableSramPerChip = usable,
            ReferencePosition = position,
        };
    }

    private void EmitStage(LpuStage stage, LpuStage[] stages)
    {
        int[] chips = Enumerable.Range(stage.FirstChip, stage.Width).ToArray();
        if (stage.Index > 0)
        {
            // Chip i receives the activation vector from chip i of the previous stage.
            int tag = _nextTag++;
            var previous = stages[stage.Index - 1];
            for (int m = 0; m < chips.Length; m++)
            {
                int from = previous.FirstChip + m;
                Add(from, new LpuStep { Kind = LpuStepKind.Send, Label = "stage.send", Unit = stage.FirstUnit - 1, BytesPerPeerPerToken = ActivationBytes, Peers = [chips[m]], Tag = tag });
                Add(chips[m], Receive("stage.receive", stage.FirstUnit, [from], tag));
            }
        }
        for (int unit = stage.FirstUnit; unit <= stage.LastUnit; unit++)
        {
            var slices = UnitPartition.Slices(_shape, unit, stage.Width);
            var tileIds = Place(slices, chips);
            if (unit == 0)
                EmitEmbedding(chips, slices, tileIds);
            else if (unit == LpuUnits.Head(_shape))
                EmitHead(chips, slices, tileIds, stages[0]);
            else
                EmitLayer(unit, chips, slices, tileIds);
        }
    }

    private int[] Place(List<TileSlice> slices, int[] chips)
    {
        var ids = new int[slices.Count];
        for (int i = 0; i < slices.Count; i++)
        {
            var s = slices[i];
            int chip = chips[s.Member];
            ids[i] = _tiles.Count;
            _tiles.Add(new LpuTile(_tiles.Count, s.Tensor, s.Layer, s.Expert, chip, s.Start, s.End, s.Bytes));
            _sram[chip] += s.Bytes;
        }
        return ids;
    }

    private void EmitEmbedding(int[] chips, List<TileSlice> slices, int[] tileIds)
    {
        if (_shape.TiedEmbeddings)
            return; // the row arrives with the head's token message
        // Any chip may own the row, so each reserves a one-row read and the row is then shared with the group.
        long rowBytes = (long)Math.Ceiling(_shape.Embedding * _shape.WeightBytes);
        for (int m = 0; m < chips.Length; m++)
            Add(chips[m], new LpuStep { Kind = LpuStepKind.Compute, Label = "embed.lookup", Unit = 0, WeightBytes = rowBytes, Tiles = TilesOf(slices, tileIds, m, _ => true), FixedOps = 1 });
        AllGather(chips, 0, "embed.share", ActivationBytes);
    }

    private void EmitLayer(int unit, int[] chips, List<TileSlice> slices, int[] tileIds)
    {
        int layer = LpuUnits.LayerOf(unit);
        string p = $"L{layer} ";
        for (int m = 0; m < chips.Length; m++)
        {
            var qkv = TilesOf(slices, tileIds, m, t => t is LpuTensor.Query or LpuTensor.Key or LpuTensor.Value);
            if (qkv.Count == 0)
                continue; // more chips than KV-head groups: this chip waits for the heads' all-gather
            var (g0, g1) = UnitPartition.Part(_shape.KvHeads, chips.Length, m);
            long heads = (long)(g1 - g0) * _shape.QueriesPerKvHead;
            // attention norm (sum of squares, scale), QKV product, RoPE
            Add(chips[m], MatrixStep(p + "attn.qkv", unit, qkv, fixedOps: 4));
            // scores, max, exp-sum, normalize, weighted sum of V
            Add(chips[m], new LpuStep
            {
                Kind = LpuStepKind.Compute, Label = p + "attn.core", Unit = unit, FixedOps = 5,
                Tiles = TilesOf(slices, tileIds, m, t => t == LpuTensor.KvCache),
                KvBytesPerPosition = 2.0 * (g1 - g0) * _shape.HeadDimension * _shape.KvBytes,
                OpsPerPosition = 4.0 * heads * _shape.HeadDimension,
            });
        }
        // Every chip needs every head for its rows of the output projection.
        AllGather(chips, unit, p + "attn.heads", Share(_shape.QueryDimension, Math.Min(chips.Length, _shape.KvHeads)));
        ForEach(chips, (c, m) => Add(c, MatrixStep(p + "attn.out", unit, TilesOf(slices, tileIds, m, t => t == LpuTensor.AttentionOutput), fixedOps: 1)));
        AllGather(chips, unit, p + "attn.rows", Share(_shape.Embedding, chips.Length));
        ForEach(chips, (c, _) => Add(c, new LpuStep { Kind = LpuStepKind.Compute, Label = p + "attn.residual", Unit = unit, FixedOps = 1 }));
        if (_shape.IsMixtureOfExperts)
            EmitExperts(unit, p, chips, slices, tileIds);
        else
        {
            // FFN norm, gate and up products, SiLU(gate) * up on this chip's hidden rows; then its rows of down
            ForEach(chips, (c, m) => Add(c, MatrixStep(p + "ffn.gate_up", unit, TilesOf(slices, tileIds, m, t => t is LpuTensor.FeedForwardGate or LpuTensor.FeedForwardUp), fixedOps: 4)));
            AllGather(chips, unit, p + "ffn.hidden", Share(_shape.FeedForward, chips.Length));
            ForEach(chips, (c, m) => Add(c, MatrixStep(p + "ffn.down", unit, TilesOf(slices, tileIds, m, t => t == LpuTensor.FeedForwardDown), fixedOps: 1)));
            AllGather(chips, unit, p + "ffn.rows", Share(_shape.Embedding, chips.Length));
        }
        ForEach(chips, (c, _) => Add(c, new LpuStep { Kind = LpuStepKind.Compute, Label = p + "ffn.residual", Unit = unit, FixedOps = 1 }));
    }

    /// <summary>Bytes one chip contributes to an all-gather of <paramref name="elements"/> spread over <paramref name="holders"/> chips.</summary>
    private long Share(long elements, int holders) => (elements + holders - 1) / holders * _spec.ActivationBytes;

    /// <summary>
    /// Router logits are computed where the router rows live and shared with the group; every chip then picks the
    /// same top-k. The routing is only known at run time, so each chip reserves time for the worst case: the router
    /// choosing the k experts of which it holds the most bytes. The experts' hidden rows and then their output rows
    /// are all-gathered, and every chip sums the k weighted outputs itself.
    /// </summary>
    private void EmitExperts(int unit, string p, int[] chips, List<TileSlice> slices, int[] tileIds)
    {
        int k = _shape.ExpertsUsed;
        for (int m = 0; m < chips.Length; m++)
        {
            var router = TilesOf(slices, tileIds, m, t => t == LpuTensor.Router);
            if (router.Count > 0)
                Add(chips[m], MatrixStep(p + "moe.router", unit, router, fixedOps: 3)); // norm, logits
        }
        AllGather(chips, unit, p + "moe.logits", Share(_shape.Experts, chips.Length) / _spec.ActivationBytes * sizeof(float));
        var worst = new HashSet<int>[chips.Length];
        for (int m = 0; m < chips.Length; m++)
        {
            // softmax (max, exp-sum, normalize), k rounds of argmax and mask, renormalize the k weights
            Add(chips[m], new LpuStep { Kind = LpuStepKind.Compute, Label = p + "moe.route", Unit = unit, FixedOps = 3 + 2 * k + 1 });
            worst[m] = WorstExperts(slices, m, k);
            if (worst[m].Count > 0)
                Add(chips[m], MatrixStep(p + "moe.gate_up", unit, TilesOf(slices, tileIds, m, t => t is LpuTensor.ExpertGate or LpuTensor.ExpertUp, worst[m]), fixedOps: 2));
        }
        AllGather(chips, unit, p + "moe.hidden", Share((long)k * _shape.FeedForward, chips.Length));
        for (int m = 0; m < chips.Length; m++)
        {
            if (worst[m].Count > 0)
                Add(chips[m], MatrixStep(p + "moe.down", unit, TilesOf(slices, tileIds, m, t => t == LpuTensor.ExpertDown, worst[m]), fixedOps: 1));
        }
        AllGather(chips, unit, p + "moe.rows", Share((long)k * _shape.Embedding, chips.Length));
        ForEach(chips, (c, _) => Add(c, new LpuStep { Kind = LpuStepKind.Compute, Label = p + "moe.combine", Unit = unit, FixedOps = k }));
    }

    /// <summary>The k experts holding the most bytes on member m (ties: lower expert index).</summary>
    private static HashSet<int> WorstExperts(List<TileSlice> slices, int m, int k) =>
        slices.Where(s => s.Member == m && s.Expert >= 0)
            .GroupBy(s => s.Expert)
            .Select(g => (Expert: g.Key, Bytes: g.Sum(s => s.Bytes)))
            .OrderByDescending(e => e.Bytes).ThenBy(e => e.Expert)
            .Take(k).Select(e => e.Expert).ToHashSet();

    private void EmitHead(int[] chips, List<TileSlice> slices, int[] tileIds, LpuStage first)
    {
        int unit = LpuUnits.Head(_shape);
        for (int m = 0; m < chips.Length; m++)
        {
            // final norm and logits over this chip's vocabulary rows, then a local argmax
            Add(chips[m], MatrixStep("head.logits", unit, TilesOf(slices, tileIds, m, t => t == LpuTensor.Output), fixedOps: 3));
            Add(chips[m], new LpuStep { Kind = LpuStepKind.Compute, Label = "head.argmax", Unit = unit, FixedOps = 1 });
        }
        int root = chips[0];
        if (chips.Length > 1)
        {
            int tag = _nextTag++;
            var others = chips[1..];
            foreach (var c in others)
                Add(c, new LpuStep { Kind = LpuStepKind.Send, Label = "head.candidate", Unit = unit, BytesPerPeerPerToken = 8, Peers = [root], Tag = tag });
            Add(root, Receive("head.candidates", unit, others, tag));
        }
        Add(root, new LpuStep { Kind = LpuStepKind.Compute, Label = "head.sample", Unit = unit, FixedOps = 1 });
        // The next token goes back to stage 0 (tied models send its embedding row, since the table lives here).
        int next = _nextTag++;
        long bytes = _shape.TiedEmbeddings ? ActivationBytes : sizeof(int);
        var targets = Enumerable.Range(first.FirstChip, first.Width).Where(c => c != root).ToArray();
        if (targets.Length == 0)
            return;
        Add(root, new LpuStep { Kind = LpuStepKind.Send, Label = "head.next_token", Unit = unit, BytesPerPeerPerToken = bytes, Peers = targets, Tag = next });
        // Stage 0 receiving the token is where the next token's embedding begins, so the wait is counted there.
        foreach (var c in targets)
            Add(c, Receive("embed.next_token", 0, [root], next));
    }

    private void AllGather(int[] chips, int unit, string label, long bytesPerPeer)
    {
        if (chips.Length > 1)
            Exchange(chips, unit, label, bytesPerPeer);
    }

    private void Exchange(int[] chips, int unit, string label, long bytesPerPeer)
    {
        int tag = _nextTag++;
        foreach (var c in chips)
        {
            var peers = chips.Where(o => o != c).ToArray();
            Add(c, new LpuStep { Kind = LpuStepKind.Send, Label = label, Unit = unit, BytesPerPeerPerToken = bytesPerPeer, Peers = peers, Tag = tag });
        }
        foreach (var c in chips)
            Add(c, Receive(label, unit, chips.Where(o => o != c).ToArray(), tag));
    }

    private LpuStep Receive(string label, int unit, int[] from, int tag) =>
        new() { Kind = LpuStepKind.Receive, Label = label, Unit = unit, Peers = from, Tag = tag };

    private LpuStep MatrixStep(string label, int unit, IReadOnlyList<int> tiles, int fixedOps)
    {
        long bytes = 0;
        double weights = 0;
        foreach (var id in tiles)
        {
            var tile = _tiles[id];
            bytes += tile.Bytes;
            weights += tile.Bytes / _shape.WeightBytes;
        }
        return new LpuStep { Kind = LpuStepKind.Compute, Label = label, Unit = unit, WeightBytes = bytes, Tiles = tiles, OpsPerToken = 2 * weights, FixedOps = fixedOps };
    }

    private static List<int> TilesOf(List<TileSlice> slices, int[] tileIds, int member, Func<LpuTensor, bool> tensor, HashSet<int>? experts = null)
    {
        var ids = new List<int>();
        for (int i = 0; i < slices.Count; i++)
        {
            var s = slices[i];
            if (s.Member == member && tensor(s.Tensor) && (experts is null || experts.Contains(s.Expert)))
                ids.Add(tileIds[i]);
        }
        return ids;
    }

    /// <summary>Runs <paramref name="action"/> for every chip of a group with its member index.</summary>
    private static void ForEach(int[] chips, Action<int, int> action)
    {
        for (int m = 0; m < chips.Length; m++)
            action(chips[m], m);
    }

    /// <summary>Appends a step with the cost model's decode-time at the reference position.</summary>
    private void Add(int chip, LpuStep step)
    {
        double seconds = step.Kind switch
        {
            LpuStepKind.Send => _cost.Serialize(step, 1),
            LpuStepKind.Receive => step.Peers.Max(from => _cost.HopLatency(from, chip) + _cost.Sync(from, chip)),
            _ => _cost.Compute(step, 1, _position).Total,
        };
        _schedules[chip].Add(step with { Seconds = seconds });
    }
}
