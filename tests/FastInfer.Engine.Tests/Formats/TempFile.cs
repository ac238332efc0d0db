using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Formats;

/// <summary>A scratch file deleted on dispose.</summary>
internal sealed class TempFile : IDisposable
{
    private readonly string _directory;

    public TempFile(string name = "model.gguf")
    {
        _directory = TestModels.TempDirectory("formats");
        Path = System.IO.Path.Combine(_directory, name);
    }

    public string Path { get; }

    public static TempFile With(byte[] bytes, string name = "model.gguf")
    {
        var file = new TempFile(name);
        File.WriteAllBytes(file.Path, bytes);
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a scratch file left in /tmp is harmless
        }
    }
}
