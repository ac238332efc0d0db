namespace FastInfer.Tests;

/// <summary>
/// Finds the read-only test models (stories260K, tokenizer files, llama.cpp's test vectors).
/// FASTINFER_TEST_MODELS names the folder; without it, ../shared/models next to the repository root.
/// A test that needs a missing file is skipped with the reason, never silently passed;
/// CI sets the variable, so nothing is skipped there.
/// </summary>
public static class TestModels
{
    /// <summary>The folder holding FastInfer.sln, found by walking up from the test assembly.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Directory { get; } = Locate();

    private static string Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("FASTINFER_TEST_MODELS");
        if (!string.IsNullOrWhiteSpace(fromEnv))
            return Path.GetFullPath(fromEnv);
        return Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "models"));
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FastInfer.sln")))
                return dir.FullName;
        }
        // Built with FASTINFER_ARTIFACTS outside the tree: fall back to the working directory's ancestors.
        for (var dir = new DirectoryInfo(System.IO.Directory.GetCurrentDirectory()); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FastInfer.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("FastInfer.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Full path of a shared test file; skips the calling test when it is absent.</summary>
    public static string Require(string relativePath)
    {
        var path = Path.Combine(Directory, relativePath);
        Skip.IfNot(File.Exists(path),
            $"test model '{relativePath}' not found in {Directory} (set FASTINFER_TEST_MODELS)");
        return path;
    }

    /// <summary>A scratch folder for files a test writes (synthetic models); removed by the caller.</summary>
    public static string TempDirectory(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), "fastinfer-tests", prefix + "-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }
}
