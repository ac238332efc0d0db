using FastInfer.Engine.Models;
using FastInfer.Engine.Synthesis;
using FastInfer.Kernels;
using FastInfer.Kernels.Memory;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Models;

/// <summary>
/// <see cref="ModelLoadOptions.CopyWeights"/> moves the matrices out of the mapped file into the process's own memory;
/// the bytes are the same, so the model must compute exactly the same logits.
/// </summary>
public sealed class ResidentModelWeightsTests : IDisposable
{
    private readonly string _folder = TestModels.TempDirectory("resident-model");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(GgmlType.F32, "custom:dim=64,ffn=96,layers=2,heads=4,kv=2,vocab=100,ctx=32")]
    [InlineData(GgmlType.F16, "custom:dim=64,ffn=96,layers=2,heads=4,kv=2,vocab=100,ctx=32")]
    [InlineData(GgmlType.Q5_K, "custom:dim=256,ffn=512,layers=1,heads=4,kv=4,vocab=120,ctx=32")]
    [InlineData(GgmlType.F32, "custom:dim=64,ffn=96,layers=2,heads=4,kv=4,vocab=90,ctx=32,experts=4,top=2")]
    public void CopiedAndMappedWeightsGiveIdenticalLogits(GgmlType type, string shape)
    {
        string path = Path.Combine(_folder, $"{type}-{shape.GetHashCode():x}.gguf");
        SyntheticModelWriter.Write(SyntheticModelShape.Parse(shape), type, seed: 5, path);
        // Packing is off: on the 512-bit path it would replace the F16 matrices' resident copies with packed ones.
        using var copied = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2, PackWeights = false });
        using var mapped = LlamaModel.Load(path, new ModelLoadOptions { Threads = 2, CopyWeights = false, PackWeights = false });

        var layer = copied.Weights.Layers[0];
        var query = layer.Query;
        Assert.NotEqual(copied.Tensors.Get("blk.0.attn_q.weight").Data, query.Data);
        Assert.Equal(mapped.Tensors.Get("blk.0.attn_q.weight").Data, mapped.Weights.Layers[0].Query.Data);
        Assert.Equal(0, query.Data % 64);
        var down = layer.Dense?.Down ?? layer.Experts!.Experts[^1].Down;
        Assert.True(Bytes(down).SequenceEqual(Bytes(mapped.Weights.Layers[0].Dense?.Down ?? mapped.Weights.Layers[0].Experts!.Experts[^1].Down)));
        // The file's pages of a copied tensor were given back to the OS; reading them maps them again, unchanged.
        var fileView = copied.Tensors.Get("blk.0.attn_q.weight").AsMatrix();
        Assert.True(Bytes(fileView).SequenceEqual(Bytes(query)));

        int[] prompt = [1, 17, 42, 9, 5, 63, 3];
        var a = copied.Transformer.CreateState(16);
        var b = mapped.Transformer.CreateState(16);
        Assert.Equal(mapped.Transformer.Prefill(b, prompt, 0).ToArray(), copied.Transformer.Prefill(a, prompt, 0).ToArray());
        for (int position = prompt.Length; position < prompt.Length + 4; position++)
            Assert.Equal(mapped.Transformer.Forward(b, position, position).ToArray(), copied.Transformer.Forward(a, position, position).ToArray());
    }

    [Fact]
    public void PackedMatricesAndTheEmbeddingStayWhereTheyAre()
    {
        string path = Path.Combine(_folder, "q8.gguf");
        SyntheticModelWriter.Write(SyntheticModelShape.Parse("custom:dim=64,ffn=96,layers=1,heads=2,kv=2,vocab=100,ctx=16"), GgmlType.Q8_0, seed: 3, path);
        using var model = LlamaModel.Load(path, new ModelLoadOptions { Threads = 1, FuseProjections = false });
        Assert.Equal(model.Tensors.Get("token_embd.weight").Data, model.Weights.TokenEmbedding.Data);
        var query = model.Weights.Layers[0].Query;
        bool copied = query.Data != model.Tensors.Get("blk.0.attn_q.weight").Data;
        Assert.NotEqual(query.IsPacked, copied);
    }

    [Theory]
    [InlineData(3 * 1000, 64)]
    [InlineData(HugePageMemory.HugePageBytes * 3 + 1000, HugePageMemory.HugePageBytes)]
    public unsafe void HugePageMemoryAlignsLargeCopiesToTheHugePageSize(long bytes, long alignment)
    {
        byte* memory = HugePageMemory.Allocate(bytes);
        try
        {
            Assert.Equal(0, (long)memory % alignment);
            memory[bytes - 1] = 7;
            Assert.Equal(7, memory[bytes - 1]);
        }
        finally
        {
            HugePageMemory.Free(memory);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => { HugePageMemory.Allocate(0); });
    }

    private static unsafe byte[] Bytes(WeightMatrix m) => new ReadOnlySpan<byte>((void*)m.Data, checked((int)m.ByteLength)).ToArray();
}
