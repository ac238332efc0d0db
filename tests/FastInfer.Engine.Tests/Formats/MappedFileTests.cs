using System.Runtime.InteropServices;
using FastInfer.Engine.Formats;

namespace FastInfer.Engine.Tests.Formats;

/// <summary><see cref="MappedFile.ReleasePages"/> only gives pages back: the bytes read the same afterwards.</summary>
public sealed unsafe class MappedFileTests
{
    private static byte[] Pattern(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7 + (i >> 12))).ToArray();

    [Fact]
    public void ReleasedPagesReadTheSameBytesAgain()
    {
        var bytes = Pattern(5 * 4096 + 123);
        using var temp = TempFile.With(bytes, "mapped.bin");
        using var file = MappedFile.Open(temp.Path);
        Assert.Equal(bytes, file.Span(0, bytes.Length).ToArray());
        file.ReleasePages(file.Pointer + 100, bytes.Length - 200);
        Assert.Equal(bytes, file.Span(0, bytes.Length).ToArray());
    }

    [Fact]
    public void RangesOutsideTheMappingAreLeftAlone()
    {
        var bytes = Pattern(4096);
        using var temp = TempFile.With(bytes, "mapped.bin");
        using var file = MappedFile.Open(temp.Path);
        // Private anonymous memory: a release there would zero it, so it must be refused.
        const int length = 4 * 4096;
        byte* other = (byte*)NativeMemory.AlignedAlloc(length, 4096);
        try
        {
            new Span<byte>(other, length).Fill(0xA5);
            file.ReleasePages((nint)other, length);
            Assert.True(new Span<byte>(other, length).IndexOfAnyExcept((byte)0xA5) < 0);
            file.ReleasePages(file.Pointer + 4000, 8192);
            Assert.Equal(bytes, file.Span(0, bytes.Length).ToArray());
        }
        finally
        {
            NativeMemory.AlignedFree(other);
        }
    }
}
