using FastInfer.Engine.Generation;

namespace FastInfer.Engine.Tests.Generation;

public class StopStringFilterTests
{
    [Fact]
    public void PassesTextThroughWithoutStopStrings()
    {
        var filter = new StopStringFilter([]);
        Assert.Equal("Hello", filter.Push("Hello"));
        Assert.False(filter.Stopped);
    }

    [Fact]
    public void StopsBeforeAStopStringSplitAcrossPieces()
    {
        var filter = new StopStringFilter(["\nUser:"]);
        var output = new System.Text.StringBuilder();
        foreach (var piece in new[] { "Sure", ".\nU", "se", "r: hi", "never reached" })
        {
            output.Append(filter.Push(piece));
            if (filter.Stopped)
                break;
        }
        Assert.True(filter.Stopped);
        Assert.Equal("Sure.", output.ToString());
    }

    [Fact]
    public void HeldTextIsReleasedWhenItTurnsOutNotToBeAStop()
    {
        var filter = new StopStringFilter(["END"]);
        Assert.Equal("a", filter.Push("aE"));
        Assert.Equal("", filter.Push("N"));
        Assert.Equal("ENx", filter.Push("x"));
        Assert.False(filter.Stopped);
    }

    [Fact]
    public void EarliestStopWins()
    {
        var filter = new StopStringFilter(["world", "lo"]);
        Assert.Equal("hel", filter.Push("hello world"));
        Assert.True(filter.Stopped);
    }

    [Fact]
    public void FlushReturnsWhatIsHeld()
    {
        var filter = new StopStringFilter(["###"]);
        Assert.Equal("x", filter.Push("x##"));
        Assert.Equal("##", filter.Flush());
    }
}
