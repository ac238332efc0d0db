using FastInfer.Engine.Models;
using FastInfer.Engine.Synthesis;
using FastInfer.Kernels;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Models;

/// <summary>
/// <see cref="ModelLoadOptions.MaxWeightCopyBytes"/> bounds the packed and resident copies; matrices beyond it are read
/// from the mapping, which holds the same bytes, so the logits do not change.
/// </summary>
public sealed class WeightCopyBudgetTests : IDisposable
{
    private readonly string _folder = TestModels.TempDirectory("copy-budget");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void AZeroBudgetLeavesEveryMatrixInTheFileAndComputesTheSameLogits()
    {
        string path = Write(GgmlType.F32);
        using var unbudgeted = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2, PackWeights = false, CopyWeights = false });
        using var none = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2, MaxWeightCopyBytes = 0 });
        Assert.Equal(0, CopiedMatrices(none));
        AssertSameLogits(unbudgeted, none);
    }

    [Fact]
    public void APartialBudgetCopiesMatricesInOrderUntilTheNextOneNoLongerFits()
    {
        string path = Write(GgmlType.F32);
        using var all = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2 });
        long query = all.Weights.Layers[0].Query.ByteLength;
        using var some = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2, MaxWeightCopyBytes = 2 * query });
        Assert.Equal(3, CopiedMatrices(some)); // layer 0's query and its key and value (half its size each: 2 of 4 heads)
        Assert.NotEqual(some.Tensors.Get("blk.0.attn_q.weight").Data, some.Weights.Layers[0].Query.Data);
        Assert.Equal(some.Tensors.Get("blk.1.ffn_down.weight").Data, some.Weights.Layers[1].Dense!.Down.Data);
        AssertSameLogits(all, some);
    }

    [Fact]
    public void PackedCopiesCountAgainstTheBudgetToo()
    {
        string path = Write(GgmlType.Q8_0);
        using var none = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2, MaxWeightCopyBytes = 0 });
        Assert.False(none.Weights.Layers[0].Query.IsPacked);
        Assert.Equal(0, CopiedMatrices(none));
    }

    [Theory]
    [InlineData("MemAvailable:   20480 kB", 20480L)]
    [InlineData("MemAvailable:1 kB", 1L)]
    [InlineData("MemAvailable:   7", 7L)]
    public void MeminfoLinesParse(string line, long kilobytes)
    {
        Assert.True(AvailableMemory.TryParseKilobytes(line, "MemAvailable:", out long parsed));
        Assert.Equal(kilobytes, parsed);
    }

    [Theory]
    [InlineData("MemFree:   20480 kB")]
    [InlineData("MemAvailable:   -5 kB")]
    [InlineData("MemAvailable:   lots")]
    public void OtherOrBrokenMeminfoLinesDoNot(string line)
        => Assert.False(AvailableMemory.TryParseKilobytes(line, "MemAvailable:", out _));

    [Fact]
    public void TheDefaultBudgetIsWithinTheMachinesMemory()
    {
        long budget = WeightCopyBudget.Default();
        Assert.InRange(budget, 1, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
    }

    private string Write(GgmlType type)
    {
        string path = Path.Combine(_folder, $"{type}.gguf");
        SyntheticModelWriter.Write(SyntheticModelShape.Parse("custom:dim=64,ffn=96,layers=2,heads=4,kv=2,vocab=100,ctx=32"), type, seed: 11, path);
        return path;
    }

    /// <summary>Matrices of the dense layers whose data no longer points into the file, or that carry a packed copy.</summary>
    private static int CopiedMatrices(LlamaModel model)
    {
        int copied = 0;
        for (int i = 0; i < model.Weights.Layers.Count; i++)
        {
            var layer = model.Weights.Layers[i];
            foreach (var (name, matrix) in new[]
            {
                ("attn_q", layer.Query), ("attn_k", layer.Key), ("attn_v", layer.Value), ("attn_output", layer.AttentionOutput),
                ("ffn_gate", layer.Dense!.Gate), ("ffn_up", layer.Dense.Up), ("ffn_down", layer.Dense.Down),
            })
            {
                if (matrix.IsPacked || matrix.Data != model.Tensors.Get($"blk.{i}.{name}.weight").Data)
                    copied++;
            }
        }
        return copied;
    }

    private static void AssertSameLogits(LlamaModel expected, LlamaModel actual)
    {
        int[] prompt = [1, 17, 42, 9, 5];
        var a = expected.Transformer.CreateState(16);
        var b = actual.Transformer.CreateState(16);
        Assert.Equal(expected.Transformer.Prefill(a, prompt, 0).ToArray(), actual.Transformer.Prefill(b, prompt, 0).ToArray());
        for (int position = prompt.Length; position < prompt.Length + 3; position++)
            Assert.Equal(expected.Transformer.Forward(a, position, position).ToArray(), actual.Transformer.Forward(b, position, position).ToArray());
    }
}
