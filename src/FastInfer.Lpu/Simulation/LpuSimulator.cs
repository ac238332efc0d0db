using FastInfer.Lpu.Compiler;

namespace FastInfer.Lpu.Simulation;

/// <summary>
/// Runs a program's schedules against its spec, chip by chip, without weights: each chip executes its steps in
/// order, a receive waits until every message it names has arrived (send end + hop latency + sync guard). One token
/// of batch-1 decode is the time from stage 0 holding a token to stage 0 holding the next one, plus the host's work
/// between tokens (<see cref="Hardware.LpuSpec.TokenOverheadSeconds"/>), which a prompt pass pays once.
/// </summary>
public static class LpuSimulator
{
    /// <summary>Decode time at position <paramref name="promptTokens"/> and the time to first token for a prompt
    /// of that length (the prompt goes through the pipeline as one pass).</summary>
    public static LpuSimulation Run(LpuProgram program, int promptTokens = 512)
    {
        ArgumentNullException.ThrowIfNull(program);
        program.EnsureFits();
        if (promptTokens < 1 || promptTokens >= program.Shape.Context)
            throw new ArgumentOutOfRangeException(nameof(promptTokens), $"prompt of {promptTokens} tokens: {program.Shape.Name} takes 1 to {program.Shape.Context - 1} so that the next token still fits its {program.Shape.Context}-token context");
        var decode = Execute(program, tokens: 1, position: promptTokens);
        var prefill = Execute(program, tokens: promptTokens, position: 0);
        double host = program.Spec.TokenOverheadSeconds;
        return new LpuSimulation
        {
            PromptTokens = promptTokens,
            SecondsPerToken = decode.Makespan + host,
            HostSecondsPerToken = host,
            TimeToFirstTokenSeconds = prefill.Makespan + host,
            Units = decode.Units,
        };
    }

    /// <summary>Seconds for one decode token at <paramref name="position"/> (no per-unit split), host work included.</summary>
    public static double SecondsPerToken(LpuProgram program, int position)
    {
        program.EnsureFits();
        return Execute(program, 1, position).Makespan + program.Spec.TokenOverheadSeconds;
    }

    private sealed record Outcome(double Makespan, IReadOnlyList<LpuUnitTime> Units);

    private static Outcome Execute(LpuProgram program, int tokens, int position)
    {
        var cost = new LpuCostModel(program.Spec, program.Shape.Precision);
        var schedules = program.Schedules;
        int chips = schedules.Count, units = LpuUnits.Count(program.Shape);
        var clock = new double[chips];
        var next = new int[chips];
        var split = new LpuTimeSplit[chips, units];
        var unitEnd = new double[chips, units];
        var inbox = new Dictionary<(int Tag, int To), Inbox>();
        int remaining = schedules.Sum(s => s.Count);
        // Event-driven: a chip runs until a receive blocks it, and is queued again when a message reaches it.
        var ready = new Queue<int>(Enumerable.Range(0, chips));
        var queued = Enumerable.Repeat(true, chips).ToArray();
        while (ready.Count > 0)
        {
            int chip = ready.Dequeue();
            queued[chip] = false;
            var steps = schedules[chip];
            while (next[chip] < steps.Count)
            {
                var step = steps[next[chip]];
                double start = clock[chip], end;
                LpuTimeSplit spent;
                if (step.Kind == LpuStepKind.Receive)
                {
                    if (!inbox.TryGetValue((step.Tag, chip), out var box) || box.Count < step.Peers.Count)
                        break;
                    Receive(box, start, out spent, out end);
                }
                else if (step.Kind == LpuStepKind.Send)
                {
                    double serialize = cost.Serialize(step, tokens);
                    foreach (int to in step.Peers)
                    {
                        if (!inbox.TryGetValue((step.Tag, to), out var box))
                            inbox[(step.Tag, to)] = box = new Inbox();
                        box.Add(start + serialize, cost.HopLatency(chip, to), cost.Sync(chip, to));
                        if (!queued[to])
                        {
                            queued[to] = true;
                            ready.Enqueue(to);
                        }
                    }
                    spent = new LpuTimeSplit(0, 0, serialize, 0);
                    end = start + serialize;
                }
                else
                {
                    var t = cost.Compute(step, tokens, position);
                    bool streamBound = t.Stream > t.Arithmetic;
                    spent = new LpuTimeSplit(t.Latency + (streamBound ? 0 : t.Arithmetic), streamBound ? t.Stream : 0, 0, 0);
                    end = start + t.Total;
                }
                clock[chip] = end;
                split[chip, step.Unit] += spent;
                unitEnd[chip, step.Unit] = end;
                next[chip]++;
                remaining--;
            }
        }
        if (remaining > 0)
            throw new InvalidOperationException("the LPU program deadlocks: a receive waits for a message no chip sends");
        return new Outcome(clock.Max(), CriticalUnits(program, split, unitEnd));
    }

    /// <summary>The messages of one tag that have reached one chip so far.</summary>
    private sealed class Inbox
    {
        public int Count;
        public double FirstSent = double.MaxValue, Arrives, Hops;

        public void Add(double sentAt, double hopLatency, double sync)
        {
            Count++;
            FirstSent = Math.Min(FirstSent, sentAt);
            Arrives = Math.Max(Arrives, sentAt + hopLatency + sync);
            Hops = Math.Max(Hops, hopLatency);
        }
    }

    /// <summary>
    /// A receive completes when its last message arrives. Waiting counts from the later of this chip's clock and the
    /// earliest send end: wire hops are transfer, the rest (deskew guard, slower peers) synchronisation.
    /// </summary>
    private static void Receive(Inbox box, double start, out LpuTimeSplit spent, out double end)
    {
        double waited = Math.Max(0, box.Arrives - Math.Max(start, box.FirstSent));
        double transfer = Math.Min(waited, box.Hops);
        spent = new LpuTimeSplit(0, 0, transfer, waited - transfer);
        end = Math.Max(start, box.Arrives); // an idle chip's clock jumps to the arrival
    }

    private static List<LpuUnitTime> CriticalUnits(LpuProgram program, LpuTimeSplit[,] split, double[,] unitEnd)
    {
        var result = new List<LpuUnitTime>();
        for (int unit = 0; unit < LpuUnits.Count(program.Shape); unit++)
        {
            int critical = -1;
            for (int chip = 0; chip < program.Schedules.Count; chip++)
            {
                if (unitEnd[chip, unit] <= 0)
                    continue;
                // The chip that ends the unit last; among chips ending together, the busiest (least waiting) one.
                double gap = critical < 0 ? 1 : unitEnd[chip, unit] - unitEnd[critical, unit];
                bool tie = critical >= 0 && Math.Abs(gap) <= 1e-12 * unitEnd[chip, unit];
                if (critical < 0 || (!tie && gap > 0) || (tie && split[chip, unit].Sync < split[critical, unit].Sync))
                    critical = chip;
            }
            if (critical >= 0)
                result.Add(new LpuUnitTime(LpuUnits.Name(program.Shape, unit), unit, critical, split[critical, unit]));
        }
        return result;
    }
}
