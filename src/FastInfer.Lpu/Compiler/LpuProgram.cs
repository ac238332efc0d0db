using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Compiler;

/// <summary>
/// A compiled model: where every tile lives and, for every chip, the ordered steps it runs for one token.
/// When the model does not fit, <see cref="Fits"/> is false, the placement is empty and <see cref="ChipsNeeded"/> says
/// how many chips it would take.
/// </summary>
public sealed class LpuProgram
{
    public required LpuModelShape Shape { get; init; }
    public required LpuSpec Spec { get; init; }
    public required bool Fits { get; init; }
    /// <summary>Fewest chips of this spec that hold the model (over the layouts the compiler considers); 0 if none.</summary>
    public required int ChipsNeeded { get; init; }
    /// <summary>Chips per stage (tensor-parallel width).</summary>
    public int StageWidth { get; init; }
    public IReadOnlyList<LpuStage> Stages { get; init; } = [];
    public IReadOnlyList<LpuTile> Tiles { get; init; } = [];
    /// <summary>For chip c, <c>Schedules[c]</c> is its ordered step list (empty for an unused chip).</summary>
    public IReadOnlyList<IReadOnlyList<LpuStep>> Schedules { get; init; } = [];
    /// <summary>SRAM bytes each chip's tiles occupy.</summary>
    public IReadOnlyList<long> SramUsed { get; init; } = [];
    /// <summary>SRAM bytes per chip available to tiles (the rest holds activation buffers).</summary>
    public long UsableSramPerChip { get; init; }
    /// <summary>KV-cache position the steps' <see cref="LpuStep.Seconds"/> were computed for.</summary>
    public int ReferencePosition { get; init; }

    public int ChipsUsed => Stages.Sum(s => s.Width);

    /// <summary>Throws <see cref="LpuCapacityException"/> when the model does not fit.</summary>
    public void EnsureFits()
    {
        if (!Fits)
            throw new LpuCapacityException(Shape, Spec, ChipsNeeded);
    }

    /// <summary>A canonical text of the whole program; equal programs give equal text.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"{Shape} | {Spec} | fits={Fits} needed={ChipsNeeded} width={StageWidth} ref={ReferencePosition}");
        foreach (var stage in Stages)
            text.AppendLine(inv, $"{stage}");
        foreach (var tile in Tiles)
            text.AppendLine(inv, $"{tile}");
        for (int chip = 0; chip < Schedules.Count; chip++)
        {
            foreach (var step in Schedules[chip])
            {
                text.Append(inv, $"{chip}: {step.Kind} {step.Label} u{step.Unit} w{step.WeightBytes} kv{step.KvBytesPerPosition:R} ");
                text.Append(inv, $"ops{step.OpsPerToken:R}/{step.OpsPerPosition:R} f{step.FixedOps} b{step.BytesPerPeerPerToken} t{step.Tag} ");
                text.AppendLine(inv, $"[{string.Join(',', step.Peers)}] <{string.Join(',', step.Tiles)}> {step.Seconds:R}");
            }
        }
        return text.ToString();
    }

    /// <summary>SHA-256 of <see cref="Describe"/>, for comparing programs.</summary>
    public string Fingerprint() => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Describe())));
}
