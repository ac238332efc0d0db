namespace FastInfer.Accuracy.Models;

/// <summary>The committed TinyStories-like text every perplexity and logit comparison reads.</summary>
public static class AccuracyText
{
    public static string Path { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "Data", "tinystories-like.txt");

    public static string Read() => File.ReadAllText(Path);
}
