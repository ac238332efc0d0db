using System.Text.Json;
using FastInfer.Engine.Tokenizers.SentencePiece;

namespace FastInfer.Engine.Tokenizers.HuggingFace;

/// <summary>The tokenizer of a Hugging Face model folder: its SentencePiece <c>tokenizer.model</c> when present, else <c>tokenizer.json</c>.</summary>
public static class HuggingFaceTokenizer
{
    public const string SentencePieceFileName = "tokenizer.model";

    public static ITextTokenizer Load(string folder)
    {
        string model = Path.Combine(folder, SentencePieceFileName);
        return File.Exists(model) ? TokenizerFiles.Load(model) : ReadVocabulary(folder).CreateTokenizer();
    }

    /// <summary>
    /// The folder's vocabulary as a record (for writing GGUF tokenizer metadata): a SentencePiece tokenizer.model
    /// when present, else tokenizer.json with the special tokens from tokenizer_config.json and config.json.
    /// </summary>
    public static HuggingFaceVocabulary ReadVocabulary(string folder)
    {
        string model = Path.Combine(folder, SentencePieceFileName);
        if (File.Exists(model) && TokenizerFiles.Detect(File.ReadAllBytes(model)) == TokenizerFiles.Format.SentencePieceModel)
            return new HuggingFaceVocabulary { SentencePiece = SentencePieceModelFile.ReadVocabulary(File.ReadAllBytes(model)) };
        string json = Path.Combine(folder, HuggingFaceTokenizerJson.FileName);
        if (!File.Exists(json))
            throw new FileNotFoundException($"model folder '{folder}' has neither {SentencePieceFileName} nor {HuggingFaceTokenizerJson.FileName}", json);
        return HuggingFaceTokenizerJson.Read(json, TokenizerSpecialIds.Read(folder));
    }

    /// <summary>tokenizer_config.json's <c>chat_template</c> (a Jinja string), or null when absent or not a single string.</summary>
    public static string? ReadChatTemplate(string folder)
    {
        string path = Path.Combine(folder, TokenizerSpecialIds.TokenizerConfigFileName);
        if (!File.Exists(path))
            return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("chat_template", out var template)
                && template.ValueKind == JsonValueKind.String ? template.GetString() : null;
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(TokenizerSpecialIds.TokenizerConfigFileName, "document", e.BytePositionInLine ?? 0, e.Message);
        }
    }
}
