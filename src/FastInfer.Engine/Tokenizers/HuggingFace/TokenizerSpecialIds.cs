using System.Text.Json;
using FastInfer.Engine.Formats.Safetensors;

namespace FastInfer.Engine.Tokenizers.HuggingFace;

/// <summary>
/// BOS, EOS and whether to add BOS, as a Hugging Face folder states them: tokenizer_config.json names the tokens
/// (<c>"bos_token": "&lt;s&gt;"</c> or <c>{"content": "&lt;s&gt;", …}</c>) and <c>add_bos_token</c>; config.json gives
/// <c>bos_token_id</c> and <c>eos_token_id</c> (a list in Llama 3.1, whose every id ends a generation).
/// tokenizer_config.json wins where both speak, as transformers' tokenizer does.
/// </summary>
public sealed record TokenizerSpecialIds(string? BosToken, string? EosToken, bool? AddBos, int? BosId, int[]? EosIds)
{
    public const string TokenizerConfigFileName = "tokenizer_config.json";
    public const string ModelConfigFileName = "config.json";

    public static TokenizerSpecialIds Read(string folder)
    {
        string? bosToken = null, eosToken = null;
        bool? addBos = null;
        int? bosId = null;
        int[]? eosIds = null;
        string tokenizerConfig = Path.Combine(folder, TokenizerConfigFileName);
        if (File.Exists(tokenizerConfig))
        {
            foreach (var field in Parse(tokenizerConfig))
            {
                switch (field.Name)
                {
                    case "bos_token": bosToken = TokenContent(field, tokenizerConfig); break;
                    case "eos_token": eosToken = TokenContent(field, tokenizerConfig); break;
                    case "add_bos_token" when field.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                        addBos = field.Value.GetBoolean();
                        break;
                }
            }
        }
        string modelConfig = Path.Combine(folder, ModelConfigFileName);
        if (File.Exists(modelConfig))
        {
            foreach (var field in Parse(modelConfig))
            {
                if (field.Name == "bos_token_id" && field.Value.ValueKind == JsonValueKind.Number)
                    bosId = Id(field, modelConfig, field.Value);
                else if (field.Name == "eos_token_id" && field.Value.ValueKind == JsonValueKind.Number)
                    eosIds = [Id(field, modelConfig, field.Value)];
                else if (field.Name == "eos_token_id" && field.Value.ValueKind == JsonValueKind.Array)
                    eosIds = field.Value.EnumerateArray().Select(e => Id(field, modelConfig, e)).ToArray();
            }
        }
        return new TokenizerSpecialIds(bosToken, eosToken, addBos, bosId, eosIds);
    }

    private static List<JsonField> Parse(string path) =>
        JsonFields.ParseObject(File.ReadAllBytes(path), (problem, offset) => new TokenizerFormatException(Path.GetFileName(path), "document", offset, problem));

    private static string? TokenContent(JsonField field, string path) => field.Value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => field.Value.GetString(),
        JsonValueKind.Object when field.Value.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String => content.GetString(),
        _ => throw new TokenizerFormatException(Path.GetFileName(path), field.Name, field.Offset,
            $"expected a token string or an object with 'content', found {field.Value.GetRawText()}"),
    };

    private static int Id(JsonField field, string path, JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int id) && id >= 0
            ? id
            : throw new TokenizerFormatException(Path.GetFileName(path), field.Name, field.Offset, $"expected a token id, found {value.GetRawText()}");
}
