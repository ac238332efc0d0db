using System.Text;

namespace FastInfer.Engine.Tokenizers.SentencePiece;

/// <summary>
/// Reads a SentencePiece <c>tokenizer.model</c> (a <c>ModelProto</c> protobuf) into a <see cref="SentencePieceVocabulary"/>.
/// Fields used: pieces = 1 (piece = 1, score = 2, type = 3), trainer_spec = 2 (model_type = 3, unk_id = 40,
/// bos_id = 41, eos_id = 42), normalizer_spec = 3 (add_dummy_prefix = 3). Only BPE models are accepted: a unigram
/// model needs a different search, which this class does not pretend to run. Like llama.cpp, normalizer rules
/// other than the dummy prefix (remove_extra_whitespaces, precompiled maps) are not applied; Llama 2 uses none.
/// </summary>
public static class SentencePieceModelFile
{
    private const string Kind = "SentencePiece model";
    private const int BpeModelType = 2;
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static SentencePieceBpeTokenizer Load(string path) => new(ReadVocabulary(File.ReadAllBytes(path)));

    public static SentencePieceVocabulary ReadVocabulary(ReadOnlySpan<byte> file)
    {
        var tokens = new List<string>();
        var scores = new List<float>();
        var types = new List<int>();
        // ModelProto's defaults when a field is absent.
        int modelType = 1, unkId = 0, bosId = 1, eosId = 2;
        bool addDummyPrefix = true;
        long trainerSpecOffset = 0;

        var reader = new ProtobufReader(file, 0, Kind);
        while (reader.TryReadTag(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == ProtobufReader.LengthDelimitedWire:
                    var piece = reader.ReadLengthDelimited("pieces (a piece message)", out long start);
                    ReadPiece(piece, start, tokens, scores, types);
                    break;
                case 2 when wire == ProtobufReader.LengthDelimitedWire:
                    ReadTrainerSpec(reader.ReadLengthDelimited("trainer_spec", out trainerSpecOffset), trainerSpecOffset,
                        ref modelType, ref unkId, ref bosId, ref eosId);
                    break;
                case 3 when wire == ProtobufReader.LengthDelimitedWire:
                    ReadNormalizerSpec(reader.ReadLengthDelimited("normalizer_spec", out long normalizerStart), normalizerStart, ref addDummyPrefix);
                    break;
                default:
                    reader.Skip(wire, "unknown field");
                    break;
            }
        }

        if (tokens.Count == 0)
            throw new TokenizerFormatException(Kind, "pieces", 0, "the model has no pieces (is this a SentencePiece model?)");
        if (modelType != BpeModelType)
            throw new TokenizerFormatException(Kind, "trainer_spec.model_type", trainerSpecOffset, $"model type {modelType} is not BPE (2); only BPE models are supported");
        foreach (var (name, id) in new[] { ("unk_id", unkId), ("bos_id", bosId), ("eos_id", eosId) })
        {
            if ((uint)id >= (uint)tokens.Count)
                throw new TokenizerFormatException(Kind, "trainer_spec." + name, trainerSpecOffset, $"{id} is outside the {tokens.Count} pieces");
        }
        return new SentencePieceVocabulary([.. tokens], [.. scores], [.. types], bosId, eosId, unkId, addDummyPrefix);
    }

    private static void ReadPiece(ReadOnlySpan<byte> message, long start, List<string> tokens, List<float> scores, List<int> types)
    {
        int index = tokens.Count;
        string? text = null;
        float score = 0;
        int type = (int)TokenType.Normal;
        var reader = new ProtobufReader(message, start, Kind, index);
        while (reader.TryReadTag(out int field, out int wire))
        {
            long at = reader.Offset;
            switch (field)
            {
                case 1 when wire == ProtobufReader.LengthDelimitedWire:
                    var bytes = reader.ReadLengthDelimited("pieces[].piece", out long textStart);
                    try
                    {
                        text = s_strictUtf8.GetString(bytes);
                    }
                    catch (DecoderFallbackException e)
                    {
                        throw reader.Error("pieces[].piece", textStart, "not valid UTF-8: " + e.Message);
                    }
                    break;
                case 2 when wire == ProtobufReader.Fixed32Wire:
                    score = reader.ReadFixed32Float("pieces[].score");
                    if (!float.IsFinite(score))
                        throw reader.Error("pieces[].score", at, $"{score} is not a finite number");
                    break;
                case 3 when wire == ProtobufReader.VarintWire:
                    ulong value = reader.ReadVarint("pieces[].type");
                    if (value > int.MaxValue || !Enum.IsDefined((TokenType)(int)value))
                        throw reader.Error("pieces[].type", at, $"unknown piece type {value}");
                    type = (int)value;
                    break;
                default:
                    reader.Skip(wire, "pieces[] unknown field");
                    break;
            }
        }
        if (text is null)
            throw new TokenizerFormatException(Kind, $"pieces[{index}].piece", start, "the piece has no text");
        tokens.Add(text);
        scores.Add(score);
        types.Add(type);
    }

    private static void ReadTrainerSpec(ReadOnlySpan<byte> message, long start, ref int modelType, ref int unkId, ref int bosId, ref int eosId)
    {
        var reader = new ProtobufReader(message, start, Kind);
        while (reader.TryReadTag(out int field, out int wire))
        {
            if (wire != ProtobufReader.VarintWire || field is not (3 or 40 or 41 or 42))
            {
                reader.Skip(wire, "trainer_spec field");
                continue;
            }
            // Ids are int32: a negative id (-1 = none) arrives as a 64-bit two's-complement varint.
            int value = (int)(long)reader.ReadVarint("trainer_spec field");
            switch (field)
            {
                case 3: modelType = value; break;
                case 40: unkId = value; break;
                case 41: bosId = value; break;
                case 42: eosId = value; break;
            }
        }
    }

    private static void ReadNormalizerSpec(ReadOnlySpan<byte> message, long start, ref bool addDummyPrefix)
    {
        var reader = new ProtobufReader(message, start, Kind);
        while (reader.TryReadTag(out int field, out int wire))
        {
            if (field == 3 && wire == ProtobufReader.VarintWire)
                addDummyPrefix = reader.ReadVarint("normalizer_spec.add_dummy_prefix") != 0;
            else
                reader.Skip(wire, "normalizer_spec field");
        }
    }
}
