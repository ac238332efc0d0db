using FastInfer.Engine.Tokenizers;
using FastInfer.Engine.Tokenizers.SentencePiece;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Tokenizers;

/// <summary>stories260K's 512-token llama2.c vocabulary (3 specials, 256 bytes, 253 merged pieces).</summary>
public class TinyStoriesVocabularyTests
{
    [SkippableFact]
    public void OnceUponATime_EncodesIntoWholePieces_AndRoundTrips()
    {
        var tokenizer = Llama2cTokenizerFile.Load(TestModels.Require("tok512.bin"));
        Assert.Equal(512, tokenizer.VocabularySize);
        int[] ids = tokenizer.Encode("Once upon a time", addBos: true);
        Assert.Equal(1, ids[0]);
        // Merged pieces only: no unknown and no byte-fallback tokens, and far fewer tokens than characters.
        Assert.All(ids[1..], id => Assert.InRange(id, 259, 511));
        Assert.InRange(ids.Length, 2, 10);
        Assert.Equal("\u2581Once\u2581upon\u2581a\u2581time", string.Concat(ids[1..].Select(tokenizer.TokenText)));
        Assert.Equal("Once upon a time", tokenizer.Decode(ids));
        Assert.Equal("Once upon a time", TokenizerTestVectors.Stream(tokenizer, ids));
    }

    [SkippableFact]
    public void StoryText_RoundTrips()
    {
        var tokenizer = Llama2cTokenizerFile.Load(TestModels.Require("tok512.bin"));
        string story = File.ReadAllText(TestModels.Require("expected/stories260K.run_t0_n60_prompt.txt")).Trim();
        int[] ids = tokenizer.Encode(story, addBos: true);
        Assert.Equal(story, tokenizer.Decode(ids));
        Assert.InRange(ids.Length, 2, story.Length / 2);
    }

    [SkippableFact]
    public void FileDetection_FindsTokenizerBin()
    {
        Assert.IsType<SentencePieceBpeTokenizer>(TokenizerFiles.Load(TestModels.Require("tok512.bin")));
    }
}
