using FastInfer.Engine.Formats;
using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Formats.HuggingFace;
using FastInfer.Engine.Formats.Llama2c;
using FastInfer.Engine.Models;
using FastInfer.Engine.Synthesis;
using FastInfer.Engine.Tokenizers;
using FastInfer.Engine.Tokenizers.HuggingFace;
using FastInfer.Engine.Tokenizers.SentencePiece;
using FastInfer.Kernels;
using FastInfer.Kernels.Ops;

namespace FastInfer.Engine.Conversion;

/// <summary>
/// Converts a Hugging Face folder (safetensors) or a llama2.c checkpoint to a GGUF llama.cpp loads: hyperparameters
/// as llama.* keys, the tokenizer as tokenizer.ggml.*, q/k rows permuted from HF's rotate-half layout to interleaved
/// pairs, Mixtral's experts merged into 3-D <c>ffn_*_exps</c> tensors, norms and the router F32. Tensors are decoded
/// and re-encoded a chunk of rows at a time while the file is written, so memory stays small whatever the model.
/// </summary>
public static class GgufConverter
{
    /// <summary>Converts <paramref name="input"/> (a folder or a llama2.c file) to the GGUF file <paramref name="output"/>.</summary>
    public static void Convert(string input, string output, ConversionOptions? options = null)
    {
        options ??= new ConversionOptions();
        if (!ConversionOptions.Types.Contains(options.Type))
            throw new NotSupportedException($"cannot convert to {options.Type}; choose one of {string.Join(", ", ConversionOptions.Types)}");
        if (Directory.Exists(input))
        {
            using var checkpoint = HuggingFaceCheckpoint.Open(input);
            var vocabulary = HuggingFaceTokenizer.ReadVocabulary(input);
            var writer = CreateWriter(checkpoint, checkpoint.Config, vocabulary, Path.GetFileName(Path.TrimEndingDirectorySeparator(checkpoint.Folder)), options.Type, duplicateTiedOutput: false);
            writer.Progress = options.Progress;
            writer.Write(output);
            return;
        }
        if (!File.Exists(input))
            throw new FileNotFoundException($"'{input}' is neither a Hugging Face model folder nor a file", input);
        if (LlamaModel.DetectFormat(input) == ModelFileFormat.Gguf)
            throw new NotSupportedException($"'{input}' is already GGUF; convert takes a Hugging Face folder or a llama2.c checkpoint");
        using var llama2c = Llama2cCheckpoint.Open(input);
        var tokenizer = options.TokenizerPath
            ?? throw new ArgumentException($"'{input}' is a llama2.c checkpoint, which has no tokenizer inside: give its tokenizer (-z tokenizer.bin or tokenizer.model)");
        var llama2cWriter = CreateWriter(llama2c, llama2c.Config, new HuggingFaceVocabulary { SentencePiece = ReadSentencePiece(tokenizer) },
            Path.GetFileNameWithoutExtension(input), options.Type, duplicateTiedOutput: true);
        llama2cWriter.Progress = options.Progress;
        llama2cWriter.Write(output);
    }

    /// <summary>
    /// A writer holding every key and a lazily converted tensor for each model weight; <paramref name="source"/> must
    /// stay open until the writer has written. With <paramref name="duplicateTiedOutput"/> a tied output head is written
    /// as its own tensor (llama.cpp's llama2.c converter does so); otherwise it is left out and the embedding serves.
    /// </summary>
    public static GgufWriter CreateWriter(ITensorSource source, LlamaConfig config, HuggingFaceVocabulary vocabulary, string name,
        GgmlType type, bool duplicateTiedOutput)
    {
        if (vocabulary.Count != config.VocabularySize)
            throw new FormatException($"the tokenizer has {vocabulary.Count} tokens but the model's vocabulary is {config.VocabularySize}");
        bool permute = config.RopeLayout == RopeLayout.HalfSplit;
        if (permute && config.RotaryDimensions != config.HeadDimension)
            throw new NotSupportedException($"RoPE over {config.RotaryDimensions} of {config.HeadDimension} head dimensions cannot be permuted to GGUF's layout");
        // Binding first checks every shape against the hyperparameters before anything is written.
        LlamaWeights.Bind(source, config);

        var writer = new GgufWriter();
        LlamaHyperparameters.Write(writer, config, type);
        writer.SetMetadata("general.name", GgufValue.Of(name));
        TokenizerMetadata.Write(writer, vocabulary);

        var plan = new TensorPlan(writer, type);
        plan.Matrix("token_embd.weight", source.Get("token_embd.weight"));
        plan.Vector("output_norm.weight", source.Get("output_norm.weight"));
        if (source.Find("output.weight") is { } output)
            plan.Matrix("output.weight", output);
        else if (duplicateTiedOutput)
            plan.Matrix("output.weight", source.Get("token_embd.weight"));
        int head = config.HeadDimension;
        for (int l = 0; l < config.BlockCount; l++)
        {
            string p = $"blk.{l}.";
            plan.Vector(p + "attn_norm.weight", source.Get(p + "attn_norm.weight"));
            plan.Matrix(p + "attn_q.weight", source.Get(p + "attn_q.weight"), permute ? head : 0);
            plan.Matrix(p + "attn_k.weight", source.Get(p + "attn_k.weight"), permute ? head : 0);
            plan.Matrix(p + "attn_v.weight", source.Get(p + "attn_v.weight"));
            plan.Matrix(p + "attn_output.weight", source.Get(p + "attn_output.weight"));
            plan.Vector(p + "ffn_norm.weight", source.Get(p + "ffn_norm.weight"));
            if (!config.IsMixtureOfExperts)
            {
                foreach (var projection in new[] { "ffn_gate", "ffn_down", "ffn_up" })
                    plan.Matrix($"{p}{projection}.weight", source.Get($"{p}{projection}.weight"));
                continue;
            }
            plan.Router(p + "ffn_gate_inp.weight", source.Get(p + "ffn_gate_inp.weight"));
            foreach (var projection in new[] { "ffn_gate", "ffn_down", "ffn_up" })
            {
                var experts = source.Find($"{p}{projection}_exps.weight") is { } merged
                    ? [merged]
                    : Enumerable.Range(0, config.ExpertCount).Select(e => source.Get($"{p}{projection}.{e}.weight")).ToArray();
                plan.Stacked($"{p}{projection}_exps.weight", experts);
            }
        }
        return writer;
    }

    private static SentencePieceVocabulary ReadSentencePiece(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        return TokenizerFiles.Detect(file) switch
        {
            TokenizerFiles.Format.Llama2cTokenizerBin => Llama2cTokenizerFile.ReadVocabulary(file),
            TokenizerFiles.Format.SentencePieceModel => SentencePieceModelFile.ReadVocabulary(file),
            var other => throw new NotSupportedException($"'{path}' ({other}) cannot be written as a llama2.c model's tokenizer; give a tokenizer.bin or a SentencePiece tokenizer.model"),
        };
    }

    /// <summary>Adds tensors to the writer, each filled from source rows (optionally reordered) when the file is written.</summary>
    private sealed class TensorPlan(GgufWriter writer, GgmlType type)
    {
        public void Vector(string name, TensorView view) =>
            writer.AddTensor(name, GgmlType.F32, [view.ElementCount], new SourceRows([view], 0).Fill);

        /// <summary>llama.cpp keeps the MoE router unquantized: it is small and decides which experts run.</summary>
        public void Router(string name, TensorView view) =>
            writer.AddTensor(name, GgmlType.F32, (long[])view.Dimensions.Clone(), new SourceRows([view], 0).Fill);

        public void Matrix(string name, TensorView view, int permutedHeadDimension = 0) =>
            writer.AddTensor(name, SyntheticModelWriter.StorageType(type, view.Dimensions[0]), (long[])view.Dimensions.Clone(),
                new SourceRows([view], permutedHeadDimension).Fill);

        /// <summary>Experts along the outermost axis: [columns, rows, experts], from per-expert matrices or an already merged tensor.</summary>
        public void Stacked(string name, TensorView[] experts)
        {
            var first = experts[0];
            long[] dims = experts.Length == 1 && first.Dimensions.Length == 3
                ? (long[])first.Dimensions.Clone()
                : [first.Dimensions[0], first.Dimensions[1], experts.Length];
            writer.AddTensor(name, SyntheticModelWriter.StorageType(type, dims[0]), dims, new SourceRows(experts, 0).Fill);
        }
    }
}
