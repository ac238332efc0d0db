using System.Buffers.Binary;
using System.Text;

namespace FastInfer.Engine.Tests.Formats.Safetensors;

/// <summary>Writes safetensors files byte by byte, so tests can build headers no correct writer would.</summary>
internal static class RawSafetensors
{
    /// <summary>u64 length of <paramref name="json"/>, the JSON, then <paramref name="bufferLength"/> data bytes (0, 1, 2 …).</summary>
    public static void Write(string path, string json, int bufferLength) =>
        Write(path, Encoding.UTF8.GetBytes(json), bufferLength);

    public static void Write(string path, byte[] json, int bufferLength, ulong? declaredLength = null)
    {
        var bytes = new byte[8 + json.Length + bufferLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        for (int i = 0; i < bufferLength; i++)
            bytes[8 + json.Length + i] = (byte)i;
        File.WriteAllBytes(path, bytes);
    }
}
