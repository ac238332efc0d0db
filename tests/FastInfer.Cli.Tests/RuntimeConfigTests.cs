using System.Text.Json;

namespace FastInfer.Cli.Tests;

/// <summary>The runtime settings the fastinfer executable ships with (its runtimeconfig.json, copied beside the tests).</summary>
public class RuntimeConfigTests
{
    [Fact]
    public void MethodsWithLoopsAreOptimizedOnTheirFirstCall()
    {
        // Without this the kernels run unoptimized code until tiering catches up, which took most of a short prompt's time.
        string path = Path.Combine(AppContext.BaseDirectory, "fastinfer.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.True(properties.TryGetProperty("System.Runtime.TieredCompilation.QuickJitForLoops", out var quickJitForLoops),
            $"{path} does not set System.Runtime.TieredCompilation.QuickJitForLoops");
        Assert.False(quickJitForLoops.GetBoolean());
    }
}
