using FastInfer.Engine.Formats.Gguf;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Formats;

/// <summary>Reading a llama.cpp-written file and writing it back with <see cref="GgufWriter"/> reproduces it byte for byte.</summary>
public class GgufRewriteTests
{
    [SkippableTheory]
    [InlineData("stories260K.gguf")]
    [InlineData("ggml-vocab-llama-spm.gguf")]
    public void RewritingAFileReproducesItsBytes(string model)
    {
        string path = TestModels.Require(model);
        using var original = GgufFile.Open(path);
        var writer = new GgufWriter(original.Alignment);
        foreach (var (key, value) in original.Metadata)
        {
            if (key != GgufFile.AlignmentKey)
                writer.SetMetadata(key, value);
        }
        foreach (var tensor in original.Tensors)
            writer.AddTensorBytes(tensor.Name, tensor.Type, TensorBytes.Of(tensor), tensor.Dimensions);

        var rewritten = writer.ToArray();
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(bytes.Length, rewritten.Length);
        Assert.True(bytes.AsSpan().SequenceEqual(rewritten), $"first difference at byte {bytes.AsSpan().CommonPrefixLength(rewritten)}");
    }
}
