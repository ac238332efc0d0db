using System.Runtime.InteropServices;
using FastInfer.Engine.Formats.Gguf;
using FastInfer.Kernels;

namespace FastInfer.Accuracy.Models;

/// <summary>
/// ggml multiplies F16 weights by activations rounded to F16 where FastInfer keeps them F32. Storing a file's F16
/// tensors as F32 (the same values) takes that one difference out of a comparison with llama.cpp.
/// </summary>
public static unsafe class F16Widening
{
    /// <summary>A copy of <paramref name="source"/> with every F16 tensor stored as F32 (the same values), everything else byte for byte.</summary>
    public static void WidenToF32(string source, string destination)
    {
        using var file = GgufFile.Open(source);
        var writer = new GgufWriter(file.Alignment);
        foreach (var (key, value) in file.Metadata)
            writer.SetMetadata(key, value);
        foreach (var tensor in file.Tensors)
        {
            var bytes = new ReadOnlySpan<byte>((void*)tensor.Data, checked((int)tensor.ByteLength));
            if (tensor.Type != GgmlType.F16)
            {
                writer.AddTensorBytes(tensor.Name, tensor.Type, bytes, tensor.Dimensions);
                continue;
            }
            var values = new float[tensor.ElementCount];
            var halves = MemoryMarshal.Cast<byte, Half>(bytes);
            for (int i = 0; i < values.Length; i++)
                values[i] = (float)halves[i];
            writer.AddTensor(tensor.Name, GgmlType.F32, values, tensor.Dimensions);
        }
        writer.Write(destination);
    }
}
