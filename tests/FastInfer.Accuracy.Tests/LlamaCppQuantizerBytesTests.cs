using FastInfer.Accuracy.LlamaCpp;
using FastInfer.Engine.Formats.Gguf;
using FastInfer.Kernels;
using FastInfer.Kernels.Quantization;

namespace FastInfer.Accuracy.Tests;

/// <summary>
/// FastInfer's quantizers write the bytes llama.cpp's quantizer writes for the 32-element block types, whose ggml
/// reference it applies when no importance matrix is given: every matrix of that type in llama.cpp's file of the dense
/// test model, quantized again by FastInfer from the same F32 values.
/// </summary>
public class LlamaCppQuantizerBytesTests
{
    [SkippableTheory]
    [InlineData(QuantizedFileType.Q8_0, GgmlType.Q8_0)]
    [InlineData(QuantizedFileType.Q4_0, GgmlType.Q4_0)]
    [InlineData(QuantizedFileType.Q4_1, GgmlType.Q4_1)]
    [InlineData(QuantizedFileType.Q5_1, GgmlType.Q5_1)]
    public unsafe void BlockTypesQuantizeToTheBytesLlamaCppWrites(QuantizedFileType fileType, GgmlType type)
    {
        string f32 = AccuracyData.DenseF32;
        using var source = GgufFile.Open(f32);
        using var theirs = GgufFile.Open(AccuracyData.Quantized(f32, fileType));
        int compared = 0;
        foreach (var tensor in theirs.Tensors.Where(t => t.Type == type))
        {
            var original = source.Get(tensor.Name);
            Assert.Equal(GgmlType.F32, original.Type);
            var values = new ReadOnlySpan<float>((void*)original.Data, checked((int)(original.ByteLength / sizeof(float))));
            var ours = new byte[tensor.ByteLength];
            Quantizer.Quantize(type, values, ours);
            var expected = new ReadOnlySpan<byte>((void*)tensor.Data, checked((int)tensor.ByteLength));
            int first = ours.AsSpan().CommonPrefixLength(expected);
            Assert.True(first == expected.Length, $"{tensor.Name} ({type}): first differing byte at {first} of {expected.Length}");
            compared++;
        }
        Assert.True(compared > 0, $"llama.cpp's {fileType} file holds no {type} matrix");
    }
}
