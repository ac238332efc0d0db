using Microsoft.ML.Tokenizers;

namespace FastInfer.Engine.Tokenizers.ByteLevel;

/// <summary>
/// Encodes with Microsoft.ML.Tokenizers' <see cref="TiktokenTokenizer"/>, which reads a tiktoken ranks file and,
/// given Llama 3's pre-tokenizer regex, reproduces all 46 of llama.cpp's Llama 3 test vectors. It is built without
/// special tokens: splitting them out of text (only when asked) is done before text reaches it.
/// </summary>
internal sealed class TiktokenEncoder(TiktokenTokenizer tokenizer) : IByteLevelTextEncoder
{
    public void Encode(ReadOnlySpan<char> text, List<int> output) => output.AddRange(tokenizer.EncodeToIds(text));
}
