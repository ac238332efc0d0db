using FastInfer.Engine;
using FastInfer.Engine.Models;
using FastInfer.Kernels;
using FastInfer.Kernels.Threading;
using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Execution;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;
using FastInfer.Tests;

namespace FastInfer.Lpu.Tests;

/// <summary>
/// The device's logits must equal the Engine's CPU path bit for bit, for every chip count, layout and run:
/// tensor parallel (1, 2, 3 chips in one stage), pipeline (stages of one chip) and both at once.
/// </summary>
public class DeviceBitIdentityTests
{
    private const string GqaShape = "custom:dim=256,ffn=512,layers=2,heads=8,kv=2,vocab=320,ctx=64";
    private const string MoeShape = "custom:dim=64,ffn=160,layers=2,heads=4,kv=2,vocab=320,ctx=64,experts=3,top=2";

    [SkippableFact]
    public void Stories260K_real_weights_on_1_2_3_chips_match_the_engine()
    {
        using var model = LlamaModel.Load(TestModels.Require("stories260K.gguf"), new ModelLoadOptions { Threads = 1 });
        AssertAllLayoutsMatch(model, tokens: 24);
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.BF16)]
    public void Random_GQA_model_matches_the_engine_for_every_weight_type(GgmlType type)
    {
        using var model = DeviceTestModels.Load(GqaShape, type);
        AssertAllLayoutsMatch(model, tokens: 12);
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.Q8_0)]
    public void Mixture_of_experts_model_matches_the_engine(GgmlType type)
    {
        using var model = DeviceTestModels.Load(MoeShape, type);
        AssertAllLayoutsMatch(model, tokens: 12);
    }

    [Fact]
    public void A_session_through_the_engine_api_generates_what_the_cpu_path_generates()
    {
        using var cpu = DeviceTestModels.Load(GqaShape, GgmlType.Q8_0);
        using var lpu = LlamaModel.Load(cpu.Path, new ModelLoadOptions { Threads = 1, Device = LpuDevice.Factory(chips: 2, stageWidth: 2) });
        Assert.Equal("lpu", lpu.Device!.Name);
        var settings = new Engine.Generation.GenerationSettings { MaxTokens = 20, Sampling = new Engine.Sampling.SamplingSettings { Temperature = 0 } };
        using var a = cpu.CreateSession();
        using var b = lpu.CreateSession();
        Assert.Equal(string.Concat(a.Generate("ab", settings)), string.Concat(b.Generate("ab", settings)));
        Assert.Equal(a.Tokens, b.Tokens);
    }

    /// <summary>Layouts of 1, 2 and 3 chips, each run twice, against the Engine's Forward on the same tokens.</summary>
    private static void AssertAllLayoutsMatch(LlamaModel model, int tokens)
    {
        int context = Math.Min(model.MaxContextLength, 64);
        var shape = ModelShapeReader.FromWeights(model.Weights, context, "test");
        var sequence = Enumerable.Range(0, tokens).Select(i => (i * 37 + 11) % model.Config.VocabularySize).ToArray();
        var expected = EngineLogits(model, context, sequence);

        var programs = DeviceLayouts.All(shape);
        foreach (var program in programs)
        {
            using var device = LpuDevice.Create(model.Weights, context, program);
            for (int run = 0; run < 2; run++)
            {
                var session = device.CreateSession(context);
                for (int p = 0; p < sequence.Length; p++)
                {
                    var logits = session.Forward(sequence[p], p);
                    if (!logits.AsSpan().SequenceEqual(expected[p]))
                        Assert.Fail($"{program.Stages.Count} stages x {program.StageWidth} chips, run {run}: logits at position {p} differ from the engine's");
                }
            }
        }
    }

    private static float[][] EngineLogits(LlamaModel model, int context, int[] sequence)
    {
        using var pool = new ComputePool(2);
        var engine = new LlamaTransformer(model.Weights, context, pool);
        var state = engine.CreateState(context);
        return sequence.Select((token, p) => engine.Forward(state, token, p).ToArray()).ToArray();
    }
}
