using System.Text.Json;
using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;
using FastInfer.Lpu.Reporting;
using FastInfer.Lpu.Simulation;

namespace FastInfer.Lpu.Tests;

public class ReportTests
{
    [Fact]
    public void Simulation_json_has_the_fields_scripts_rely_on()
    {
        var program = LpuCompiler.Compile(LpuModelShapes.ByName("llama2-7b"), GroqChip1.Spec(64));
        var simulation = LpuSimulator.Run(program, 128);
        using var json = JsonDocument.Parse(LpuReport.SimulationJson(program, simulation));
        var root = json.RootElement;
        Assert.True(root.GetProperty("fits").GetBoolean());
        Assert.Equal(64, root.GetProperty("chips").GetInt32());
        Assert.Equal(simulation.TokensPerSecond, root.GetProperty("tokens_per_second").GetDouble(), 0.01);
        Assert.Equal(simulation.SecondsPerToken * 1e3, root.GetProperty("ms_per_token").GetDouble(), 0.001);
        Assert.Equal(program.ChipsNeeded, root.GetProperty("chips_needed").GetInt32());
        Assert.Equal(LpuUnits.Count(program.Shape), root.GetProperty("units").GetArrayLength());
        Assert.Equal(0, root.GetProperty("host_ms_per_token").GetDouble());
    }

    [Fact]
    public void The_host_work_per_token_is_reported_when_the_spec_charges_it()
    {
        var program = LpuCompiler.Compile(LpuModelShapes.ByName("stories15M"), GroqChip1.Spec(8) with { TokenOverheadSeconds = 2.5e-6 });
        var simulation = LpuSimulator.Run(program, 16);
        using var json = JsonDocument.Parse(LpuReport.SimulationJson(program, simulation));
        Assert.Equal(0.0025, json.RootElement.GetProperty("host_ms_per_token").GetDouble(), 1e-9);
        Assert.Contains("host          2.50 us per token", LpuReport.SimulationText(program, simulation));
        Assert.DoesNotContain("host  ", LpuReport.SimulationText(LpuCompiler.Compile(LpuModelShapes.ByName("stories15M"), GroqChip1.Spec(8)), simulation with { HostSecondsPerToken = 0 }));
    }

    [Fact]
    public void A_model_that_does_not_fit_reports_fits_false_and_chips_needed()
    {
        var program = LpuCompiler.Compile(LpuModelShapes.ByName("llama2-7b"), GroqChip1.Spec(8));
        using var json = JsonDocument.Parse(LpuReport.SimulationJson(program, null));
        var root = json.RootElement;
        Assert.False(root.GetProperty("fits").GetBoolean());
        Assert.Equal(program.ChipsNeeded, root.GetProperty("chips_needed").GetInt32());
        Assert.True(program.ChipsNeeded > 8);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("tokens_per_second").ValueKind);
        Assert.Contains($"needs {program.ChipsNeeded} chips", LpuReport.PlanText(program));
    }

    [Fact]
    public void The_plan_lists_every_stage_with_SRAM_per_chip()
    {
        var program = LpuCompiler.Compile(LpuModelShapes.ByName("tinyllama-1.1b"), GroqChip1.Spec(16));
        var text = LpuReport.PlanText(program);
        var stageLines = text.Split('\n').Count(l => l.TrimStart().Length > 0 && char.IsDigit(l.TrimStart()[0]) && l.Contains(".."));
        Assert.Equal(program.Stages.Count, stageLines);
        Assert.Contains((program.SramUsed.Max() / 1e6).ToString("F1", System.Globalization.CultureInfo.InvariantCulture), text);
        Assert.Contains("Receive", text);
    }
}
