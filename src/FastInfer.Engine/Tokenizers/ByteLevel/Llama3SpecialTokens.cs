namespace FastInfer.Engine.Tokenizers.ByteLevel;

/// <summary>
/// The 256 special tokens Meta's Llama 3 tokenizer appends after the tiktoken ranks (ids 128000..128255 for the
/// 128000-token base vocabulary); the ranks file itself does not contain them.
/// </summary>
public static class Llama3SpecialTokens
{
    public const int Count = 256;
    public const string BeginOfText = "<|begin_of_text|>";
    public const string EndOfText = "<|end_of_text|>";
    public const string StartHeader = "<|start_header_id|>";
    public const string EndHeader = "<|end_header_id|>";
    public const string EndOfTurn = "<|eot_id|>";

    /// <summary>The special tokens in id order, starting right after the base vocabulary.</summary>
    public static string[] Names()
    {
        var names = new string[Count];
        string[] named =
        [
            BeginOfText, EndOfText, "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
            "<|reserved_special_token_2|>", "<|reserved_special_token_3|>", StartHeader, EndHeader,
            "<|reserved_special_token_4|>", EndOfTurn,
        ];
        named.CopyTo(names, 0);
        for (int i = named.Length; i < Count; i++)
            names[i] = $"<|reserved_special_token_{i - named.Length + 5}|>";
        return names;
    }
}
