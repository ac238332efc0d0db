using System.Buffers.Binary;
using FastInfer.Engine.Formats.Llama2c;
using FastInfer.Kernels;

namespace FastInfer.Engine.Tests.Formats;

public class Llama2cCheckpointTests
{
    private const int Dim = 8, Hidden = 12, Layers = 2, Heads = 2, KvHeads = 1, Vocab = 10, SeqLen = 4;

    /// <summary>A checkpoint whose every float is its own index, so each view's first value shows where it points.</summary>
    private static byte[] Checkpoint(int vocabField, int extraFloats = 0)
    {
        int headSize = Dim / Heads, kvDim = KvHeads * headSize;
        long floats = (long)Vocab * Dim + Layers * (Dim + Dim * Dim + 2L * Dim * kvDim + Dim * Dim + Dim + 3L * Dim * Hidden)
            + Dim + SeqLen * headSize + (vocabField < 0 ? Vocab * Dim : 0) + extraFloats;
        var bytes = new byte[28 + floats * 4];
        int[] header = [Dim, Hidden, Layers, Heads, KvHeads, vocabField, SeqLen];
        for (int i = 0; i < 7; i++)
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), header[i]);
        for (int i = 0; i < floats; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(28 + i * 4), i);
        return bytes;
    }

    [Fact]
    public void UnsharedClassifierLayoutAndNames()
    {
        using var temp = TempFile.With(Checkpoint(-Vocab), "model.bin");
        using var checkpoint = Llama2cCheckpoint.Open(temp.Path);
        Assert.False(checkpoint.SharedClassifier);
        Assert.Equal(Vocab, checkpoint.Config.VocabularySize);
        Assert.Equal(SeqLen, checkpoint.Config.ContextLength);
        Assert.Equal(KvHeads, checkpoint.Config.KvHeadCount);
        Assert.Equal(1 + Layers * 9 + 2, checkpoint.Tensors.Count);

        int kvDim = Dim / Heads * KvHeads;
        float First(string name) => checkpoint.Get(name).Floats()[0];
        Assert.Equal(0, First("token_embd.weight"));
        float layerStart = Vocab * Dim;
        Assert.Equal(layerStart, First("blk.0.attn_norm.weight"));
        Assert.Equal(layerStart + Dim, First("blk.1.attn_norm.weight"));
        float wq = layerStart + Layers * Dim;
        Assert.Equal(wq + Dim * Dim, First("blk.1.attn_q.weight"));
        float wk = wq + Layers * Dim * Dim;
        Assert.Equal([(long)Dim, kvDim], checkpoint.Get("blk.0.attn_k.weight").Dimensions);
        Assert.Equal(wk, First("blk.0.attn_k.weight"));
        float w1 = wk + 2 * Layers * Dim * kvDim + Layers * Dim * Dim + Layers * Dim;
        Assert.Equal(w1, First("blk.0.ffn_gate.weight"));
        Assert.Equal([(long)Hidden, Dim], checkpoint.Get("blk.0.ffn_down.weight").Dimensions);
        Assert.Equal(w1 + 2 * Layers * Dim * Hidden, First("blk.0.ffn_up.weight"));
        float finalNorm = w1 + 3 * Layers * Dim * Hidden;
        Assert.Equal(finalNorm, First("output_norm.weight"));
        Assert.Equal(finalNorm + Dim + SeqLen * (Dim / Heads), First("output.weight"));
        Assert.Equal([(long)Dim, Vocab], checkpoint.Get("output.weight").Dimensions);
        Assert.Equal(Vocab, checkpoint.Get("output.weight").AsMatrix().Rows);
        Assert.All(checkpoint.Tensors, t => Assert.Equal(GgmlType.F32, t.Type));
    }

    [Fact]
    public void SizeMismatchNamesTheHeader()
    {
        using var longer = TempFile.With(Checkpoint(Vocab, extraFloats: 1), "long.bin");
        var e = Assert.Throws<Llama2cFormatException>(() => Llama2cCheckpoint.Open(longer.Path));
        Assert.Equal("file size", e.Field);
        Assert.Contains("implies", e.Message);

        var bytes = Checkpoint(Vocab);
        using var shorter = TempFile.With(bytes[..^4], "short.bin");
        var cut = Assert.Throws<Llama2cFormatException>(() => Llama2cCheckpoint.Open(shorter.Path));
        Assert.Contains("freq_cis", cut.Field);
    }

    [Theory]
    [InlineData(0, 0, "dim")]
    [InlineData(3, 3, "n_heads")]       // 3 heads do not divide dim 8
    [InlineData(4, 3, "n_kv_heads")]    // 3 KV heads do not divide 2 heads
    [InlineData(5, 0, "vocab_size")]
    [InlineData(6, -1, "seq_len")]
    [InlineData(2, 100000, "n_layers")]
    public void BadHeaderValuesAreNamed(int field, int value, string name)
    {
        var bytes = Checkpoint(Vocab);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(field * 4), value);
        using var temp = TempFile.With(bytes, "bad.bin");
        var e = Assert.Throws<Llama2cFormatException>(() => Llama2cCheckpoint.Open(temp.Path));
        Assert.Equal(name, e.Field);
        Assert.Equal(field * 4, e.Offset);
    }

    [Fact]
    public void TruncatedHeaderAndVersionedExports()
    {
        using var tiny = TempFile.With(new byte[10], "tiny.bin");
        Assert.Equal("header", Assert.Throws<Llama2cFormatException>(() => Llama2cCheckpoint.Open(tiny.Path)).Field);
        var bytes = Checkpoint(Vocab);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 0x616b3432);
        using var versioned = TempFile.With(bytes, "v1.bin");
        Assert.Contains("versioned", Assert.Throws<Llama2cFormatException>(() => Llama2cCheckpoint.Open(versioned.Path)).Message);
    }
}
