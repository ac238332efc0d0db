using FastInfer.Engine.Evaluation;
using FastInfer.Engine.Synthesis;
using FastInfer.Kernels;
using FastInfer.Kernels.Isa;
using FastInfer.Kernels.Ops;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Models;

/// <summary>
/// Loading with <see cref="ModelLoadOptions.PackWeights"/> swaps the kernels behind every Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/Q2_K/Q3_K/Q4_K/Q5_K/Q6_K matrix (dense,
/// expert slices, the output head), and on the 512-bit path every F16/BF16 one, for the row-interleaved ones; the model must
/// compute the same thing either way.
/// </summary>
public sealed class PackedModelWeightsTests : IDisposable
{
    private readonly string _folder = TestModels.TempDirectory("packed-model");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(GgmlType.Q4_0, "custom:dim=128,ffn=352,layers=2,heads=4,kv=2,vocab=300,ctx=64")]
    [InlineData(GgmlType.Q8_0, "custom:dim=128,ffn=352,layers=2,heads=4,kv=2,vocab=300,ctx=64")]
    [InlineData(GgmlType.Q4_0, "custom:dim=96,ffn=160,layers=2,heads=4,kv=4,vocab=203,ctx=64,experts=4,top=2")]
    [InlineData(GgmlType.Q8_0, "mixtral-mini")]
    [InlineData(GgmlType.Q4_1, "custom:dim=128,ffn=352,layers=2,heads=4,kv=2,vocab=300,ctx=64")]
    [InlineData(GgmlType.Q5_0, "custom:dim=128,ffn=352,layers=2,heads=4,kv=2,vocab=300,ctx=64")]
    [InlineData(GgmlType.Q5_1, "custom:dim=128,ffn=352,layers=2,heads=4,kv=2,vocab=300,ctx=64")]
    [InlineData(GgmlType.Q4_K, "custom:dim=256,ffn=512,layers=2,heads=4,kv=2,vocab=300,ctx=64")]
    [InlineData(GgmlType.Q2_K, "custom:dim=256,ffn=512,layers=2,heads=4,kv=2,vocab=300,ctx=64")]
    [InlineData(GgmlType.Q3_K, "custom:dim=256,ffn=512,layers=2,heads=4,kv=2,vocab=300,ctx=64")]
    [InlineData(GgmlType.Q5_K, "custom:dim=256,ffn=512,layers=2,heads=4,kv=2,vocab=300,ctx=64")]
    [InlineData(GgmlType.Q6_K, "custom:dim=256,ffn=512,layers=2,heads=4,kv=2,vocab=300,ctx=64")]
    public void PackedAndFileLayoutsGiveTheSameLogits(GgmlType type, string shape)
    {
        string path = Path.Combine(_folder, $"{type}-{shape.GetHashCode():x}.gguf");
        SyntheticModelWriter.Write(SyntheticModelShape.Parse(shape), type, seed: 3, path);
        using var packed = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2 });
        using var plain = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2, PackWeights = false });

        bool packs = KernelIsa.Active >= IsaPath.Avx2;
        var layer = packed.Weights.Layers[0];
        Assert.Equal(packs, packed.Weights.Output.IsPacked);
        Assert.Equal(packs, layer.Dense?.Down.IsPacked ?? layer.Experts!.Experts[^1].Down.IsPacked);
        Assert.False(plain.Weights.Layers[0].Query.IsPacked);

        int[] prompt = [1, 17, 42, 99, 5, 150, 3, 77, 128, 64, 31];
        var a = packed.Transformer.CreateState(32);
        var b = plain.Transformer.CreateState(32);
        var divergences = new List<double> { Compare(packed.Transformer.Prefill(a, prompt, 0), plain.Transformer.Prefill(b, prompt, 0)) };
        int token = 9;
        for (int position = prompt.Length; position < prompt.Length + 8; position++)
        {
            var fromPacked = packed.Transformer.Forward(a, token, position);
            var fromPlain = plain.Transformer.Forward(b, token, position);
            divergences.Add(Compare(fromPacked, fromPlain));
            token = VectorOps.ArgMax(fromPlain);
            Assert.Equal(token, VectorOps.ArgMax(fromPacked));
        }
        // Every step, not a typical one: a rounding flip (see Compare) in the prompt or at one step lifts that step and
        // those after it (the cache holds its keys) by many orders of magnitude, yet far less than a wrong kernel would.
        Assert.True(divergences.Max() <= 1e-4, $"largest KL {divergences.Max():E2}");
    }

    /// <summary>
    /// F16 and BF16 models are packed on the 512-bit path, part by part (not fused: the fused rows would be a second copy
    /// beside the packed one), and every row keeps the bits the kernels give over the file's rows, so the logits are equal.
    /// </summary>
    [Theory]
    [InlineData(GgmlType.F16, "custom:dim=128,ffn=352,layers=2,heads=4,kv=2,vocab=300,ctx=64")]
    [InlineData(GgmlType.BF16, "custom:dim=128,ffn=352,layers=2,heads=4,kv=2,vocab=300,ctx=64")]
    [InlineData(GgmlType.F16, "custom:dim=96,ffn=160,layers=2,heads=4,kv=4,vocab=203,ctx=64,experts=4,top=2")]
    public void HalfFloatModelsArePackedPartByPartWithTheBitsOfTheirRows(GgmlType type, string shape)
    {
        string path = Path.Combine(_folder, $"{type}-{shape.GetHashCode():x}.gguf");
        SyntheticModelWriter.Write(SyntheticModelShape.Parse(shape), type, seed: 3, path);
        using var packed = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2 });
        using var plain = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2, PackWeights = false });

        bool packs = KernelIsa.Active >= IsaPath.Avx512;
        var layer = packed.Weights.Layers[0];
        var ffn = layer.Dense ?? layer.Experts!.Experts[^1];
        Assert.Equal(packs, layer.Query.IsPacked);
        Assert.Equal(packs, ffn.Gate.IsPacked);
        Assert.Equal(packs, ffn.Down.IsPacked);
        Assert.Equal(packs, packed.Weights.Output.IsPacked);
        Assert.Equal(packs, layer.QueryKeyValue is null && ffn.GateUp is null);
        Assert.NotNull(plain.Weights.Layers[0].QueryKeyValue);

        int[] prompt = [1, 17, 42, 99, 5, 150, 3, 77, 128, 64, 31];
        var a = packed.Transformer.CreateState(32);
        var b = plain.Transformer.CreateState(32);
        Assert.Equal(plain.Transformer.Prefill(b, prompt, 0).ToArray(), packed.Transformer.Prefill(a, prompt, 0).ToArray());
        int token = 9;
        for (int position = prompt.Length; position < prompt.Length + 8; position++)
        {
            var fromPlain = plain.Transformer.Forward(b, token, position).ToArray();
            Assert.Equal(fromPlain, packed.Transformer.Forward(a, token, position).ToArray());
            token = VectorOps.ArgMax(fromPlain);
        }
    }

    [Fact]
    public void F32ModelsAreLeftAsTheyAre()
    {
        string path = Path.Combine(_folder, "f32.gguf");
        SyntheticModelWriter.Write(SyntheticModelShape.Parse("custom:dim=64,ffn=96,layers=1,heads=2,kv=2,vocab=100,ctx=16"), GgmlType.F32, seed: 3, path);
        using var model = LlamaModel.Load(path, new ModelLoadOptions { Threads = 1 });
        Assert.False(model.Weights.Layers[0].Query.IsPacked);
        Assert.False(model.Weights.Output.IsPacked);
    }

    /// <summary>
    /// Both layouts sum each block's exact integer dot product; only the float accumulation order differs (prefill too,
    /// where packed Q2_K and Q3_K go token by token through the decode kernel), by an ulp or so. Now and then such an
    /// ulp moves one activation across a rounding boundary of its 8-bit block, and the logits of that position move by
    /// one quantization step: in trial runs over many seeds, Q2_K–Q5_K models did so in the prompt
    /// or at an occasional decode step, their logits moving by up to about a hundredth of the largest (typical steps
    /// agree to a KL of about 1e-15, flipped ones about 1e-5). So every logit must be within 3e-2 of the largest and every
    /// step's KL within 1e-4 (a wrong kernel is off by orders more).
    /// </summary>
    private static double Compare(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        float scale = 0;
        foreach (float v in expected)
            scale = Math.Max(scale, Math.Abs(v));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 3e-2f * scale, $"logit {i}: packed {actual[i]}, file layout {expected[i]}");
        return Distributions.KlDivergence(expected, actual);
    }
}
