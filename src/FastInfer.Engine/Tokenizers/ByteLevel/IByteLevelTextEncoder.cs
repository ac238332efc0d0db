namespace FastInfer.Engine.Tokenizers.ByteLevel;

/// <summary>Pre-tokenizes and BPE-encodes plain text (no special tokens in it) into token ids.</summary>
internal interface IByteLevelTextEncoder
{
    void Encode(ReadOnlySpan<char> text, List<int> output);
}
