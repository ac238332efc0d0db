using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FastInfer.Accuracy.Onnx;

/// <summary>Runs a serialized ONNX model on ONNX Runtime's CPU provider and returns its single float output.</summary>
public static class OnnxRunner
{
    public static float[] Run(byte[] model, params NamedOnnxValue[] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        using var session = new InferenceSession(model, options);
        using var results = session.Run(inputs);
        return results[0].AsEnumerable<float>().ToArray();
    }

    public static NamedOnnxValue Floats(string name, float[] values, params int[] dims) =>
        NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(values, dims));

    public static NamedOnnxValue Longs(string name, long[] values, params int[] dims) =>
        NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(values, dims));
}
