using FastInfer.Engine;
using FastInfer.Engine.Models;
using FastInfer.Kernels;
using FastInfer.Kernels.Threading;
using FastInfer.Lpu.Execution;
using FastInfer.Lpu.Models;
using FastInfer.Tests;

namespace FastInfer.Lpu.Tests;

/// <summary>
/// A prompt on the device runs as the Engine's batched <see cref="LlamaTransformer.Prefill"/> does: the logits after
/// the prompt, and every decode step after it (which reads the KV cache the prompt wrote), are bit-identical to the
/// Engine's for every layout and run.
/// </summary>
public class DevicePrefillTests
{
    private const string GqaShape = "custom:dim=256,ffn=512,layers=2,heads=8,kv=2,vocab=320,ctx=64";
    /// <summary>A context longer than the Engine's prefill batch, so a long prompt runs in two passes.</summary>
    private const string LongShape = "custom:dim=64,ffn=128,layers=2,heads=4,kv=2,vocab=320,ctx=300";
    private const string MoeShape = "custom:dim=64,ffn=160,layers=2,heads=4,kv=2,vocab=320,ctx=64,experts=3,top=2";

    [SkippableFact]
    public void Stories260K_prompt_matches_the_engine_prefill()
    {
        using var model = LlamaModel.Load(TestModels.Require("stories260K.gguf"), new ModelLoadOptions { Threads = 1 });
        // 172 hidden rows: not whole vectors, so the SwiGLU loop's tail falls elsewhere on a chip than in the Engine.
        Assert.NotEqual(0, model.Config.FeedForwardLength % 16);
        AssertPromptsMatch(model, context: 64, prompt: 19, more: 5);
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_K)]
    public void Random_GQA_prompt_matches_the_engine_prefill_for_every_weight_type(GgmlType type)
    {
        using var model = DeviceTestModels.Load(GqaShape, type);
        AssertPromptsMatch(model, context: 64, prompt: 13, more: 6);
    }

    [Fact]
    public void A_prompt_longer_than_the_prefill_batch_runs_in_the_engines_passes()
    {
        using var model = DeviceTestModels.Load(LongShape, GgmlType.Q8_0);
        AssertPromptsMatch(model, context: 300, prompt: InferenceState.PrefillBatch + 14, more: 3);
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.Q8_0)]
    public void Mixture_of_experts_prompt_matches_the_engines_batched_expert_mix(GgmlType type)
    {
        using var model = DeviceTestModels.Load(MoeShape, type);
        AssertPromptsMatch(model, context: 64, prompt: 17, more: 4);
    }

    [Fact]
    public void Bad_prompts_are_refused_with_what_is_wrong()
    {
        using var model = DeviceTestModels.Load(GqaShape, GgmlType.F32);
        using var device = LpuDevice.Create(model, chips: 2);
        Assert.Equal(64, device.PromptBatch);
        var session = device.CreateSession(16);
        Assert.Contains("at least one token", Assert.Throws<ArgumentException>(() => session.Prefill([], 0)).Message);
        Assert.Contains("context of 16", Assert.Throws<ArgumentOutOfRangeException>(() => session.Prefill(new int[10], 8)).Message);
        Assert.Contains("token id 320", Assert.Throws<ArgumentOutOfRangeException>(() => session.Prefill([1, 320], 0)).Message);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => session.Prefill([1, 2], 0, cancelled.Token));
    }

    /// <summary>
    /// Every layout, two runs each: a prompt at position 0, <paramref name="more"/> decode steps, then a second prompt
    /// after them, against the Engine on the same tokens.
    /// </summary>
    private static void AssertPromptsMatch(LlamaModel model, int context, int prompt, int more)
    {
        var shape = ModelShapeReader.FromWeights(model.Weights, context, "test");
        var first = Tokens(prompt, model.Config.VocabularySize);
        var decode = Tokens(more, model.Config.VocabularySize, salt: 5);
        var second = Tokens(4, model.Config.VocabularySize, salt: 9);
        var expected = EngineRun(model, context, first, decode, second);

        foreach (var program in DeviceLayouts.All(shape))
        {
            using var device = LpuDevice.Create(model.Weights, context, program);
            for (int run = 0; run < 2; run++)
            {
                var actual = DeviceRun(device.CreateSession(context), first, decode, second);
                for (int i = 0; i < expected.Count; i++)
                {
                    if (!actual[i].AsSpan().SequenceEqual(expected[i]))
                        Assert.Fail($"{program.Stages.Count} stages x {program.StageWidth} chips, run {run}: logits {i} (0: after the prompt, then decode steps, last: after the second prompt) differ from the engine's");
                }
            }
        }
    }

    private static List<float[]> EngineRun(LlamaModel model, int context, int[] first, int[] decode, int[] second)
    {
        using var pool = new ComputePool(2);
        var engine = new LlamaTransformer(model.Weights, context, pool);
        var state = engine.CreateState(context);
        var logits = new List<float[]> { engine.Prefill(state, first, 0).ToArray() };
        for (int i = 0; i < decode.Length; i++)
            logits.Add(engine.Forward(state, decode[i], first.Length + i).ToArray());
        logits.Add(engine.Prefill(state, second, first.Length + decode.Length).ToArray());
        return logits;
    }

    private static List<float[]> DeviceRun(IForwardDeviceSession session, int[] first, int[] decode, int[] second)
    {
        var logits = new List<float[]> { session.Prefill(first, 0).ToArray() };
        for (int i = 0; i < decode.Length; i++)
            logits.Add(session.Forward(decode[i], first.Length + i).ToArray());
        logits.Add(session.Prefill(second, first.Length + decode.Length).ToArray());
        return logits;
    }

    private static int[] Tokens(int count, int vocabulary, int salt = 0) =>
        Enumerable.Range(0, count).Select(i => (i * 37 + 11 + salt * 101) % vocabulary).ToArray();
}
