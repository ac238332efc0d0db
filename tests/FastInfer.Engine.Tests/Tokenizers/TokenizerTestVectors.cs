using FastInfer.Engine.Tokenizers;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Tokenizers;

/// <summary>llama.cpp's tokenizer test vectors (tokenizer-tests/ggml-vocab-*.gguf.{inp,out}) and the checks run on them.</summary>
public static class TokenizerTestVectors
{
    public const int ExpectedCount = 46;
    private const string Separator = "\n__ggml_vocab_test__\n";

    public static IReadOnlyList<(string Input, int[] Ids)> Load(string vocabName)
    {
        string inputs = File.ReadAllText(TestModels.Require($"tokenizer-tests/{vocabName}.inp"));
        string outputs = File.ReadAllText(TestModels.Require($"tokenizer-tests/{vocabName}.out"));
        // Every input, the last included, is followed by the separator.
        Assert.EndsWith(Separator, inputs);
        var texts = inputs[..^Separator.Length].Split(Separator);
        var lines = outputs.TrimEnd('\n').Split('\n');
        Assert.Equal(ExpectedCount, texts.Length);
        Assert.Equal(ExpectedCount, lines.Length);
        return texts.Zip(lines, (text, line) =>
            (text, line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray())).ToList();
    }

    /// <summary>
    /// Encode must give llama.cpp's ids exactly; decoding them must give the input back; streaming the ids one by
    /// one must give the same text as decoding them whole. Reports every failing vector at once.
    /// </summary>
    public static void AssertAll(ITextTokenizer tokenizer, IReadOnlyList<(string Input, int[] Ids)> vectors)
    {
        Assert.Equal(ExpectedCount, vectors.Count);
        var failures = new List<string>();
        int passed = 0;
        foreach (var (input, expected) in vectors)
        {
            int[] actual = tokenizer.Encode(input, addBos: false);
            string decoded = tokenizer.Decode(expected);
            string streamed = Stream(tokenizer, expected);
            var problems = new List<string>();
            if (!actual.SequenceEqual(expected))
                problems.Add($"encode gave [{string.Join(' ', actual)}], expected [{string.Join(' ', expected)}]");
            if (decoded != input)
                problems.Add($"decode gave '{Escape(decoded)}'");
            if (streamed != decoded)
                problems.Add($"streaming gave '{Escape(streamed)}'");
            if (problems.Count == 0)
                passed++;
            else
                failures.Add($"'{Escape(input)}': {string.Join("; ", problems)}");
        }
        Assert.True(failures.Count == 0, $"{passed}/{vectors.Count} passed:\n" + string.Join('\n', failures));
        Assert.Equal(ExpectedCount, passed);
    }

    public static string Stream(ITextTokenizer tokenizer, ReadOnlySpan<int> ids)
    {
        var decoder = tokenizer.CreateStreamDecoder();
        var text = new System.Text.StringBuilder();
        foreach (int id in ids)
            text.Append(decoder.Append(id));
        return text.Append(decoder.Flush()).ToString();
    }

    private static string Escape(string text) => text.Replace("\n", "\\n").Replace("\t", "\\t");
}
