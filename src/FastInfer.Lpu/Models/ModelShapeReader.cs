using FastInfer.Engine;
using FastInfer.Engine.Formats;
using FastInfer.Engine.Formats.Gguf;
using FastInfer.Engine.Formats.Llama2c;
using FastInfer.Engine.Models;
using FastInfer.Kernels;
using FastInfer.Lpu.Hardware;

namespace FastInfer.Lpu.Models;

/// <summary>
/// The shape of a real model: dimensions from its <see cref="LlamaConfig"/>, bytes per weight from the tensors as
/// stored (averaged over every matrix, so a Q4_0 file with a Q6_K output head counts both), and FastInfer's F32 KV
/// cache.
/// </summary>
public static class ModelShapeReader
{
    /// <summary>Bytes per KV-cache element of the Engine's cache (F32).</summary>
    public const double EngineKvBytes = sizeof(float);

    public static LpuModelShape FromWeights(LlamaWeights weights, int contextLength, string name)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var config = weights.Config;
        long bytes = 0, elements = 0;
        bool allFloat = true;
        var bytesByType = new Dictionary<GgmlType, long>();
        foreach (var matrix in Matrices(weights))
        {
            bytesByType[matrix.Type] = bytesByType.GetValueOrDefault(matrix.Type) + matrix.ByteLength;
            bytes += matrix.ByteLength;
            elements += (long)matrix.Rows * matrix.Columns;
            allFloat &= matrix.Type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;
        }
        var shape = LpuModelShape.FromLlamaConfig(config with { ContextLength = contextLength }, GgmlType.F32, name, weights.TiedOutput) with
        {
            WeightBytes = (double)bytes / elements,
            KvBytes = EngineKvBytes,
            Precision = allFloat ? LpuPrecision.Fp16 : LpuPrecision.Int8,
            WeightType = bytesByType.OrderByDescending(p => p.Value).ThenBy(p => p.Key).First().Key,
        };
        shape.Validate();
        return shape;
    }

    /// <summary>
    /// Reads the shape from a GGUF file or a llama2.c checkpoint without a tokenizer. The context is the one
    /// <see cref="LlamaModel.Load"/> gives a session by default (the trained context, capped at
    /// <see cref="ModelLoadOptions.DefaultContextCap"/>) unless <paramref name="contextLength"/> says otherwise.
    /// </summary>
    public static LpuModelShape FromFile(string path, int? contextLength = null)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"model file '{path}' does not exist", path);
        ITensorSource source;
        LlamaConfig config;
        if (LlamaModel.DetectFormat(path) == ModelFileFormat.Gguf)
        {
            var gguf = GgufFile.Open(path);
            source = gguf;
            try
            {
                config = LlamaConfigReader.FromGguf(gguf);
            }
            catch
            {
                gguf.Dispose();
                throw;
            }
        }
        else
        {
            var checkpoint = Llama2cCheckpoint.Open(path);
            source = checkpoint;
            config = checkpoint.Config;
        }
        using (source)
        {
            var weights = LlamaWeights.Bind(source, config);
            int context = contextLength ?? Math.Min(config.ContextLength, ModelLoadOptions.DefaultContextCap);
            return FromWeights(weights, context, Path.GetFileNameWithoutExtension(path));
        }
    }

    /// <summary>Every weight matrix once (a tied output head is the embedding table).</summary>
    internal static IEnumerable<WeightMatrix> Matrices(LlamaWeights weights)
    {
        yield return weights.TokenEmbedding;
        if (!weights.TiedOutput)
            yield return weights.Output;
        foreach (var layer in weights.Layers)
        {
            yield return layer.Query;
            yield return layer.Key;
            yield return layer.Value;
            yield return layer.AttentionOutput;
            if (layer.Dense is { } dense)
            {
                yield return dense.Gate;
                yield return dense.Up;
                yield return dense.Down;
            }
            if (layer.Experts is { } moe)
            {
                yield return moe.Router;
                foreach (var expert in moe.Experts)
                {
                    yield return expert.Gate;
                    yield return expert.Up;
                    yield return expert.Down;
                }
            }
        }
    }
}
