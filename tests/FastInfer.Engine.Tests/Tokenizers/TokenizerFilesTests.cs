using FastInfer.Engine.Tokenizers;
using FastInfer.Engine.Tokenizers.ByteLevel;
using FastInfer.Engine.Tokenizers.SentencePiece;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.Tokenizers;

public class TokenizerFilesTests
{
    [SkippableTheory]
    [InlineData("llama2c-tokenizer.bin", TokenizerFiles.Format.Llama2cTokenizerBin)]
    [InlineData("tok512.bin", TokenizerFiles.Format.Llama2cTokenizerBin)]
    [InlineData("llama2-tokenizer.model", TokenizerFiles.Format.SentencePieceModel)]
    [InlineData("llama3-tokenizer.model", TokenizerFiles.Format.TiktokenRanks)]
    [InlineData("stories260K.bin", TokenizerFiles.Format.Unknown)]
    [InlineData("stories260K.gguf", TokenizerFiles.Format.Unknown)]
    public void Detect_RecognisesEachFormatByContent(string file, TokenizerFiles.Format expected)
    {
        Assert.Equal(expected, TokenizerFiles.Detect(File.ReadAllBytes(TestModels.Require(file))));
    }

    [SkippableFact]
    public void Load_ReturnsTheMatchingTokenizer_WhateverTheFileIsCalled()
    {
        string dir = TestModels.TempDirectory("tokenizer-files");
        try
        {
            // Both Meta files are called tokenizer.model; the names must not matter.
            string spm = Path.Combine(dir, "a.bin");
            string tiktoken = Path.Combine(dir, "b.bin");
            File.Copy(TestModels.Require("llama2-tokenizer.model"), spm);
            File.Copy(TestModels.Require("llama3-tokenizer.model"), tiktoken);
            var llama2 = Assert.IsType<SentencePieceBpeTokenizer>(TokenizerFiles.Load(spm));
            Assert.Equal([1, 15043, 3186], llama2.Encode("Hello world", addBos: true));
            var llama3 = Assert.IsType<ByteLevelBpeTokenizer>(TokenizerFiles.Load(tiktoken));
            Assert.Equal([128000, 9906, 1917], llama3.Encode("Hello world", addBos: true));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
