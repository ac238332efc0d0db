using System.CommandLine;
using FastInfer.Engine;
using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Tokenizers;

namespace FastInfer.Cli.Commands;

/// <summary>fastinfer tokenize: one line of space-separated token ids.</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model("a GGUF model or vocabulary, a tokenizer.model (SentencePiece or tiktoken) or a llama2.c tokenizer.bin");
        var bos = new Option<bool>("--bos") { Description = "start with the beginning-of-sequence token" };
        var text = new Argument<string>("text") { Description = "text to tokenize" };
        var command = new Command("tokenize", "Print the token ids of a text.") { model, bos, text };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var tokenizer = Open(parse.GetValue(model)!);
            var ids = tokenizer.Encode(parse.GetValue(text) ?? "", parse.GetValue(bos));
            Console.Out.WriteLine(string.Join(' ', ids));
            return 0;
        }));
        return command;
    }

    /// <summary>The tokenizer inside a GGUF file (no tensors needed), or a standalone tokenizer file.</summary>
    internal static ITextTokenizer Open(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"file '{path}' does not exist", path);
        if (LlamaModel.DetectFormat(path) == ModelFileFormat.Gguf)
        {
            using var gguf = GgufFile.Open(path);
            return GgufTokenizer.FromMetadata(gguf);
        }
        return TokenizerFiles.Load(path);
    }
}
