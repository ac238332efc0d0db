using System.Globalization;
using System.Text;
using System.Text.Json;
using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Execution;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Simulation;

namespace FastInfer.Lpu.Reporting;

/// <summary>The text and JSON the <c>fastinfer lpu</c> commands print.</summary>
public static class LpuReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// One JSON object: always model, spec, precision, chips, chips_needed and fits; when the model fits also the
    /// layout, tokens_per_second, ms_per_token, ttft_ms, host_ms_per_token, the overall split and the per-unit split (microseconds).
    /// When it does not fit, tokens_per_second and ms_per_token are null.
    /// </summary>
    public static string SimulationJson(LpuProgram program, LpuSimulation? simulation)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            json.WriteStartObject();
            json.WriteString("model", program.Shape.Name);
            json.WriteString("spec", program.Spec.Name);
            json.WriteString("precision", program.Shape.Precision.Name());
            json.WriteNumber("chips", program.Spec.Chips);
            json.WriteNumber("chips_needed", program.ChipsNeeded);
            json.WriteBoolean("fits", program.Fits);
            if (simulation is null)
            {
                json.WriteNull("tokens_per_second");
                json.WriteNull("ms_per_token");
            }
            else
            {
                json.WriteNumber("chips_used", program.ChipsUsed);
                json.WriteNumber("stages", program.Stages.Count);
                json.WriteNumber("stage_width", program.StageWidth);
                json.WriteNumber("prompt_tokens", simulation.PromptTokens);
                json.WriteNumber("tokens_per_second", Round(simulation.TokensPerSecond));
                json.WriteNumber("ms_per_token", Round(simulation.SecondsPerToken * 1e3));
                json.WriteNumber("ttft_ms", Round(simulation.TimeToFirstTokenSeconds * 1e3));
                json.WriteNumber("host_ms_per_token", Round(simulation.HostSecondsPerToken * 1e3));
                json.WritePropertyName("split_ms");
                WriteSplit(json, simulation.Total, 1e3);
                json.WriteStartArray("units");
                foreach (var unit in simulation.Units)
                {
                    json.WriteStartObject();
                    json.WriteString("name", unit.Name);
                    json.WriteNumber("chip", unit.CriticalChip);
                    json.WritePropertyName("split_us");
                    WriteSplit(json, unit.Split, 1e6);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteSplit(Utf8JsonWriter json, LpuTimeSplit split, double scale)
    {
        json.WriteStartObject();
        json.WriteNumber("total", Round(split.Total * scale));
        json.WriteNumber("compute", Round(split.Compute * scale));
        json.WriteNumber("stream", Round(split.Stream * scale));
        json.WriteNumber("transfer", Round(split.Transfer * scale));
        json.WriteNumber("sync", Round(split.Sync * scale));
        json.WriteEndObject();
    }

    private static double Round(double value) => Math.Round(value, 4);

    public static string SimulationText(LpuProgram program, LpuSimulation simulation)
    {
        var text = new StringBuilder();
        AppendHeader(text, program);
        text.AppendLine(Inv, $"decode        {simulation.TokensPerSecond:F1} tok/s per user, {simulation.SecondsPerToken * 1e3:F3} ms/token at position {simulation.PromptTokens}");
        text.AppendLine(Inv, $"first token   {simulation.TimeToFirstTokenSeconds * 1e3:F2} ms for a {simulation.PromptTokens}-token prompt (device time, no network)");
        text.AppendLine(Inv, $"split         {Percentages(simulation.Total)}");
        if (simulation.HostSecondsPerToken > 0)
            text.AppendLine(Inv, $"host          {simulation.HostSecondsPerToken * 1e6:F2} us per token outside the chips (dispatch, pick of the next token)");
        text.AppendLine();
        text.AppendLine("unit          chip      total us   compute    stream  transfer      sync");
        foreach (var unit in simulation.Units)
        {
            var s = unit.Split;
            text.AppendLine(Inv, $"{unit.Name,-12} {unit.CriticalChip,5} {s.Total * 1e6,12:F2} {s.Compute * 1e6,9:F2} {s.Stream * 1e6,9:F2} {s.Transfer * 1e6,9:F2} {s.Sync * 1e6,9:F2}");
        }
        return text.ToString();
    }

    /// <summary>Placement (SRAM used per chip, stage by stage) and a summary of the schedules.</summary>
    public static string PlanText(LpuProgram program)
    {
        var text = new StringBuilder();
        AppendHeader(text, program);
        if (!program.Fits)
            return text.ToString();
        double mb = 1e6;
        text.AppendLine(Inv, $"SRAM per chip {program.Spec.SramBytesPerChip / mb:F1} MB, {program.UsableSramPerChip / mb:F1} MB usable for tiles");
        text.AppendLine();
        text.AppendLine("stage  chips        units              tiles   SRAM used per chip (MB)");
        foreach (var stage in program.Stages)
        {
            var chips = Enumerable.Range(stage.FirstChip, stage.Width).ToArray();
            int tiles = program.Tiles.Count(t => t.Chip >= stage.FirstChip && t.Chip < stage.FirstChip + stage.Width);
            string units = $"{Unit(program, stage.FirstUnit)}..{Unit(program, stage.LastUnit)}";
            string used = string.Join(' ', chips.Select(c => (program.SramUsed[c] / mb).ToString("F1", Inv)));
            text.AppendLine(Inv, $"{stage.Index,5}  {stage.FirstChip,4}-{stage.FirstChip + stage.Width - 1,-6} {units,-18} {tiles,5}   {used}");
        }
        text.AppendLine();
        var steps = program.Schedules.SelectMany(s => s).ToArray();
        text.AppendLine(Inv, $"schedule      {steps.Length} steps on {program.ChipsUsed} chips; longest chip list {program.Schedules.Max(s => s.Count)}");
        foreach (var kind in Enum.GetValues<LpuStepKind>())
            text.AppendLine(Inv, $"  {kind,-10} {steps.Count(s => s.Kind == kind),8}");
        text.AppendLine(Inv, $"  messages   {steps.Where(s => s.Kind == LpuStepKind.Send).Sum(s => s.Peers.Count),8}");
        text.AppendLine(Inv, $"decode token  {LpuSimulator.SecondsPerToken(program, program.ReferencePosition) * 1e3:F3} ms at position {program.ReferencePosition}");
        return text.ToString();
    }

    /// <summary>The column names of <see cref="CalibrationRow"/>.</summary>
    public const string CalibrationHeader =
        "model                 layout  probe GB/s/chip  barrier us  host us  predicted tok/s  measured tok/s  predicted/measured  dropped  core/JIT  wall tok/s  predicted/wall  fastest tenth  fastest token  runs (wall tok/s)";

    /// <summary>
    /// One model of <c>fastinfer lpu calibrate</c>: the layout, the weight-stream rate the kernel probe measured per
    /// chip, the barrier release and host work per token the spec charges (both measured; all three from the probe
    /// whose prediction is the median, <see cref="DeviceBenchmarkResult.PredictionProgram"/>), the prediction, the
    /// device's measured speed (<see cref="DeviceBenchmarkResult.MeasuredRate"/>) and the ratio (1 is a perfect
    /// prediction), the tokens left out of it of all timed (and how many of those a thread lost its core in, and how
    /// many only met the JIT), the median run's wall rate with every token and its ratio, the fastest tenth and the
    /// fastest token, then every run's wall rate; "(JIT busy)" marks a result whose warm-up never saw the JIT go quiet.
    /// </summary>
    public static string CalibrationRow(DeviceBenchmarkResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        string layout = $"{run.Program.Stages.Count}x{run.Program.StageWidth}";
        string all = string.Join(' ', run.MeasuredTokensPerSecond.Select(t => t.ToString("F1", Inv)));
        int dropped = run.DroppedTokens;
        int offCore = run.MeasuredTokens.Count(t => t.Disturbed && t.OffCore);
        string droppedOf = $"{dropped}/{run.MeasuredTokens.Count}";
        string reasons = $"{offCore}/{dropped - offCore}";
        return string.Create(Inv, $"{run.Model,-21} {layout,-7} {run.StreamBytesPerSecondPerChip / 1e9,15:F2}  {run.PredictionProgram.Spec.SyncSeconds * 1e6,10:F2}  {run.PredictionProgram.Spec.TokenOverheadSeconds * 1e6,7:F2}  {run.PredictedTokensPerSecond,15:F1}  {run.MeasuredRate,14:F1}  {run.Ratio,18:F2}  {droppedOf,7}  {reasons,8}  {run.MedianMeasured,10:F1}  {run.WallRatio,14:F2}  {run.MedianFastestDecile,13:F1}  {run.FastestTokenPerSecond,13:F1}  {all}{(run.WarmedUp ? "" : " (JIT busy)")}");
    }

    private static string Unit(LpuProgram program, int unit) => LpuUnits.Name(program.Shape, unit).Replace("layer ", "L", StringComparison.Ordinal);

    private static void AppendHeader(StringBuilder text, LpuProgram program)
    {
        var shape = program.Shape;
        text.AppendLine(Inv, $"model         {shape.Name}: {shape.Layers} layers, {shape.TotalWeights / 1e9:F2} B weights{(shape.IsMixtureOfExperts ? $" ({shape.Experts} experts, {shape.ExpertsUsed} used)" : "")}, {shape.Precision.Name()}, context {shape.Context}");
        text.AppendLine(Inv, $"system        {program.Spec.Chips} x {program.Spec.Name}");
        if (!program.Fits)
        {
            text.AppendLine(program.ChipsNeeded > 0
                ? $"does not fit  needs {program.ChipsNeeded} chips"
                : "does not fit  on any chip count the compiler considers");
            return;
        }
        text.AppendLine(Inv, $"layout        {program.Stages.Count} pipeline stages x {program.StageWidth} chips (tensor parallel) = {program.ChipsUsed} chips used; {program.ChipsNeeded} needed at least");
    }

    private static string Percentages(LpuTimeSplit split)
    {
        double total = split.Total;
        return string.Create(Inv, $"compute {split.Compute / total:P0}, SRAM stream {split.Stream / total:P0}, transfer {split.Transfer / total:P0}, sync {split.Sync / total:P0}");
    }
}
