using FastInfer.Engine.Models;
using FastInfer.Tests;
using FastInfer.TorchOracle.Tests.Models;

namespace FastInfer.Cli.Tests;

/// <summary>fastinfer convert, and generate straight from a Hugging Face folder.</summary>
public class ConversionCommandTests
{
    [SkippableFact]
    public void ConvertedLlama2cCheckpointGeneratesLlama2csText()
    {
        var folder = TestModels.TempDirectory("convert");
        try
        {
            string output = Path.Combine(folder, "stories260K.gguf");
            var (code, _, stderr) = CliRunner.Run("convert", TestModels.Require("stories260K.bin"), output, "-z", TestModels.Require("tok512.bin"), "--type", "f32");
            Assert.True(code == 0, stderr);
            var (genCode, text, _) = CliRunner.Run("generate", "-m", output, "-n", "256", "--temp", "0");
            Assert.Equal(0, genCode);
            string expected = File.ReadAllText(TestModels.Require(Path.Combine("expected", "stories260K.run_t0_noprompt.txt"))).TrimEnd('\n');
            Assert.Equal(expected + "\n", text);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [SkippableFact]
    public void HuggingFaceFolderGeneratesAndConvertsToTheSameText()
    {
        var folder = TestModels.TempDirectory("hf");
        try
        {
            // A random Llama-shaped checkpoint with the real Llama 2 tokenizer beside it, as HF repositories ship it.
            string model = Path.Combine(folder, "model");
            Directory.CreateDirectory(model);
            var config = new LlamaConfig
            {
                EmbeddingLength = 64, FeedForwardLength = 128, BlockCount = 2, HeadCount = 4, KvHeadCount = 2,
                VocabularySize = 32000, ContextLength = 64, RopeLayout = Kernels.Ops.RopeLayout.HalfSplit,
            };
            RandomCheckpoint.Write(model, config, seed: 4);
            File.Copy(TestModels.Require("llama2-tokenizer.model"), Path.Combine(model, "tokenizer.model"));

            var (code, fromFolder, stderr) = CliRunner.Run("generate", "-m", model, "-p", "Hello", "-n", "6", "--temp", "0");
            Assert.True(code == 0, stderr);
            Assert.StartsWith("Hello", fromFolder);

            string gguf = Path.Combine(folder, "model.gguf");
            var (convertCode, _, convertErr) = CliRunner.Run("convert", model, gguf, "--type", "f32");
            Assert.True(convertCode == 0, convertErr);
            var (infoCode, info, _) = CliRunner.Run("info", "-m", gguf);
            Assert.Equal(0, infoCode);
            Assert.Contains("heads:         4 (KV heads 2, head size 16)", info);
            var (genCode, fromGguf, _) = CliRunner.Run("generate", "-m", gguf, "-p", "Hello", "-n", "6", "--temp", "0");
            Assert.Equal(0, genCode);
            Assert.Equal(fromFolder, fromGguf);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
