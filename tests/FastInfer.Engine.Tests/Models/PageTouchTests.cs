using System.Runtime.InteropServices;
using FastInfer.Engine.Models;

namespace FastInfer.Engine.Tests.Models;

public unsafe class PageTouchTests
{
    [Theory]
    [InlineData(0, 3 * 4096, 3)]
    [InlineData(1, 4096, 2)]
    [InlineData(4095, 2, 2)]
    [InlineData(100, 1, 1)]
    [InlineData(0, 0, 0)]
    public void Touches_every_page_the_range_overlaps(int offset, int length, long pages)
    {
        byte* memory = (byte*)NativeMemory.AlignedAlloc(4 * 4096, 4096);
        try
        {
            Assert.Equal(pages, PageTouch.Run(memory + offset, length));
        }
        finally
        {
            NativeMemory.AlignedFree(memory);
        }
    }

    [Fact]
    public void Rejects_a_negative_length()
        => Assert.Throws<ArgumentOutOfRangeException>(() => PageTouch.Run(null, -1));
}
