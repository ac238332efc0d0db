using System.Xml.Linq;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Packaging;

/// <summary>What the FastInfer.Engine package brings into the projects that use it.</summary>
public class EnginePackageTests
{
    private static readonly string EngineFolder = Path.Combine(TestModels.RepoRoot, "src", "FastInfer.Engine");

    [Fact]
    public void ThePackageTurnsOffQuickJitForLoopsUnlessTheAppSetsIt()
    {
        // Without it an app's first prompt runs on unoptimized kernels until tiering replaces them.
        var props = XDocument.Load(Path.Combine(EngineFolder, "buildTransitive", "FastInfer.Engine.props"));
        var setting = props.Descendants("TieredCompilationQuickJitForLoops").Single();
        Assert.Equal("false", setting.Value);
        Assert.Equal("'$(TieredCompilationQuickJitForLoops)' == ''", (string?)setting.Attribute("Condition"));
    }

    [Fact]
    public void TheProjectPacksThePropsForEveryProjectThatUsesThePackage()
    {
        var project = XDocument.Load(Path.Combine(EngineFolder, "FastInfer.Engine.csproj"));
        var item = project.Descendants("None").Single(e => (string?)e.Attribute("Include") == @"buildTransitive\FastInfer.Engine.props");
        Assert.Equal("true", (string?)item.Attribute("Pack"));
        Assert.Equal(@"buildTransitive\", (string?)item.Attribute("PackagePath"));
    }
}
