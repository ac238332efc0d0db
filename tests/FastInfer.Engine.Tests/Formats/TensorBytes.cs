using System.Runtime.InteropServices;
using FastInfer.Engine.Formats;

namespace FastInfer.Engine.Tests.Formats;

/// <summary>Copies of a tensor view's memory, for comparing tensors across files.</summary>
internal static class TensorBytes
{
    public static unsafe byte[] Of(TensorView t) => new ReadOnlySpan<byte>((void*)t.Data, checked((int)t.ByteLength)).ToArray();

    /// <summary>Any F32 tensor's values, whatever its rank.</summary>
    public static ReadOnlySpan<float> Floats(this TensorView t) => MemoryMarshal.Cast<byte, float>(Of(t));
}
