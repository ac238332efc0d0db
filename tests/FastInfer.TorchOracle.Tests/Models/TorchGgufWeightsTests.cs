using FastInfer.Accuracy.Torch;
using FastInfer.Engine.Conversion;
using FastInfer.Engine.Formats;
using FastInfer.Engine.Formats.HuggingFace;
using FastInfer.Engine.Models;
using FastInfer.Engine.Synthesis;
using FastInfer.Engine.Tokenizers.HuggingFace;
using FastInfer.Engine.Tokenizers.SentencePiece;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;
using FastInfer.Tests;

namespace FastInfer.TorchOracle.Tests.Models;

/// <summary>
/// The torch reference reads a GGUF file (interleaved q/k rows, merged experts, maybe no output head) back into exactly
/// the checkpoint it was converted from: same logits as reading the Hugging Face folder itself.
/// </summary>
public class TorchGgufWeightsTests
{
    private static readonly LlamaConfig Llama = new()
    {
        EmbeddingLength = 64, FeedForwardLength = 96, BlockCount = 2, HeadCount = 8, KvHeadCount = 2, VocabularySize = 128,
        ContextLength = 64, RmsEpsilon = 1e-5f, RopeTheta = 10000, RopeLayout = RopeLayout.HalfSplit,
    };

    private static readonly int[] Tokens = [1, 5, 9, 77, 3, 100, 64, 8, 12];

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void GgufFileGivesTheLogitsOfTheFolderItWasConvertedFrom(bool mixtureOfExperts, bool tiedOutput)
    {
        var config = mixtureOfExperts ? Llama with { ExpertCount = 4, ExpertUsedCount = 2 } : Llama;
        string directory = TestModels.TempDirectory("torch-gguf");
        try
        {
            RandomCheckpoint.Write(directory, config, seed: 11);
            string gguf = Path.Combine(directory, "model.gguf");
            using (var checkpoint = HuggingFaceCheckpoint.Open(directory))
            {
                var vocabulary = ModelVocabulary.Synthetic(config.VocabularySize);
                var sentencePiece = new SentencePieceVocabulary(vocabulary.Tokens, vocabulary.Scores, vocabulary.TokenTypes);
                ITensorSource source = tiedOutput ? new WithoutOutputHead(checkpoint) : checkpoint;
                GgufConverter.CreateWriter(source, checkpoint.Config, new HuggingFaceVocabulary { SentencePiece = sentencePiece }, "torch-gguf",
                    GgmlType.F32, duplicateTiedOutput: false).Write(gguf);
            }
            var folderWeights = TorchWeights.FromSafetensors(directory);
            if (tiedOutput)
            {
                folderWeights["lm_head.weight"].Dispose();
                folderWeights["lm_head.weight"] = folderWeights["model.embed_tokens.weight"].clone();
            }
            using var fromFolder = new TorchLlama(config, folderWeights);
            using var fromGguf = TorchLlama.FromGguf(gguf);
            Assert.Equal(config.ExpertCount, fromGguf.Config.ExpertCount);
            var expected = fromFolder.Forward(Tokens);
            var actual = fromGguf.Forward(Tokens);
            for (int i = 0; i < Tokens.Length; i++)
                Assert.Equal(expected[i], actual[i]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>A checkpoint whose output head is hidden, so the converter writes a tied model.</summary>
    private sealed class WithoutOutputHead(ITensorSource inner) : ITensorSource
    {
        public IReadOnlyList<TensorView> Tensors { get; } = [.. inner.Tensors.Where(t => t.Name != "output.weight")];

        public TensorView? Find(string name) => name == "output.weight" ? null : inner.Find(name);

        public void Dispose()
        {
        }
    }
}
