using System.Text.RegularExpressions;

namespace FastInfer.Engine.Tokenizers.ByteLevel;

/// <summary>
/// Llama 3's pre-tokenizer (GGUF <c>tokenizer.ggml.pre = llama-bpe</c>): the regex that cuts text into words
/// before BPE, so merges never cross a word boundary.
/// </summary>
public static partial class Llama3PreTokenizer
{
    public const string Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>GGUF <c>tokenizer.ggml.pre</c> values that name this pattern.</summary>
    public static IReadOnlyList<string> GgufNames { get; } = ["llama-bpe", "llama3"];

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    public static partial Regex Regex();
}
