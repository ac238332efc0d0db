using FastInfer.Engine.Formats.Gguf;
using FastInfer.Kernels;

namespace FastInfer.Engine.Tests.Formats;

/// <summary>Damaged files never crash the reader: they open, or fail with a FormatException.</summary>
public class GgufFuzzTests
{
    private static byte[] SmallValidFile() => new GgufWriter()
        .SetMetadata("general.architecture", GgufValue.Of("llama"))
        .SetMetadata("tokens", GgufValue.Of(["<unk>", "<s>", "▁a"]))
        .SetMetadata("scores", GgufValue.Of([0f, -1f, -2f]))
        .SetMetadata("nested", GgufValue.Of([GgufValue.Of([1, 2]), GgufValue.Of([true])]))
        .SetMetadata("eps", GgufValue.Of(1e-5f))
        .AddTensor("a", GgmlType.F32, new float[8], 8)
        .AddTensor("b", GgmlType.Q4_0, Enumerable.Range(0, 64).Select(i => i * 0.1f).ToArray(), 32, 2)
        .AddTensor("c", GgmlType.F16, new float[6], 2, 3)
        .ToArray();

    [Fact]
    public void EveryTruncationFailsWithAFormatError()
    {
        var bytes = SmallValidFile();
        using var temp = new TempFile();
        for (int length = 0; length < bytes.Length; length++)
        {
            File.WriteAllBytes(temp.Path, bytes[..length]);
            var e = Record.Exception(() => GgufFile.Open(temp.Path).Dispose());
            Assert.True(e is GgufFormatException, $"length {length}: {e?.GetType().Name ?? "opened"} {e?.Message}");
        }
        File.WriteAllBytes(temp.Path, bytes);
        using var file = GgufFile.Open(temp.Path);
        Assert.Equal(3, file.Tensors.Count);
    }

    [Fact]
    public void RandomByteFlipsOpenOrFailWithFormatException()
    {
        var original = SmallValidFile();
        var random = new Random(20241125);
        using var temp = new TempFile();
        int opened = 0;
        for (int trial = 0; trial < 3000; trial++)
        {
            var bytes = (byte[])original.Clone();
            int flips = 1 + random.Next(4);
            for (int f = 0; f < flips; f++)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            File.WriteAllBytes(temp.Path, bytes);
            try
            {
                using var file = GgufFile.Open(temp.Path);
                opened++;
                long sum = 0;
                foreach (var t in file.Tensors)
                {
                    long start = file.FileOffsetOf(t);
                    Assert.True(start >= file.DataOffset && t.ByteLength > 0 && start + t.ByteLength <= file.FileLength,
                        $"trial {trial}: tensor '{t.Name}' {t.Type} {t.ShapeText} at {start} + {t.ByteLength} outside {file.DataOffset}..{file.FileLength}");
                    sum += TouchEnds(t);
                }
                Assert.True(sum >= 0);
            }
            catch (FormatException)
            {
            }
        }
        Assert.InRange(opened, 1, 2999);
    }

    // Reads the first and last byte of a view: an out-of-range view would fault here.
    private static unsafe int TouchEnds(FastInfer.Engine.Formats.TensorView t) =>
        ((byte*)t.Data)[0] + ((byte*)t.Data)[t.ByteLength - 1];
}
