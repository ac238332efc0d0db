using FastInfer.Engine.Formats.Gguf;

namespace FastInfer.Bench.Compare;

/// <summary>A GGUF under test, its label in the table, and the weight bytes one decoded token streams.</summary>
public sealed record BenchModel(string Label, string Path)
{
    /// <summary>
    /// Bytes of weights a single decode step reads: every tensor except the token embedding (one row of it), with
    /// routed experts counted for the experts a token actually uses. The tied output head counts the embedding.
    /// </summary>
    public static long WeightBytesPerToken(string path)
    {
        using var file = GgufFile.Open(path);
        string architecture = file.TryGetString("general.architecture", out var arch) ? arch : "llama";
        double expertShare = file.TryGetUInt32($"{architecture}.expert_count", out uint experts) && experts > 0 &&
                             file.TryGetUInt32($"{architecture}.expert_used_count", out uint used)
            ? (double)used / experts
            : 1;
        bool tied = file.Find("output.weight") == null;
        double bytes = 0;
        foreach (var tensor in file.Tensors)
        {
            if (tensor.Name == "token_embd.weight" && !tied)
                continue;
            bytes += tensor.Name.Contains("_exps.", StringComparison.Ordinal) ? tensor.ByteLength * expertShare : tensor.ByteLength;
        }
        return (long)bytes;
    }
}
