using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastInfer.Kernels.Blocks;

/// <summary>Little-endian IEEE single.</summary>
public readonly unsafe struct BlockF32 : IFloatBlock
{
    public static GgmlType Type => GgmlType.F32;
    public static int Elements => 1;
    public static int Bytes => 4;
    public static void Dequantize(byte* block, float* destination) => *destination = Unsafe.ReadUnaligned<float>(block);
    public static void Quantize(float* source, byte* block) => Unsafe.WriteUnaligned(block, *source);
    public static float Load(byte* element) => Unsafe.ReadUnaligned<float>(element);
    public static Vector128<float> Load128(byte* elements) => Vector128.Load((float*)elements);
    public static Vector256<float> Load256(byte* elements) => Vector256.Load((float*)elements);
    public static Vector512<float> Load512(byte* elements) => Vector512.Load((float*)elements);
}
