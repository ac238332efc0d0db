using System.Runtime.InteropServices;

namespace FastInfer.Accuracy.Onnx;

/// <summary>
/// Builds an ONNX model (onnx.proto's ModelProto) node by node: inputs, initializers, operators and
/// outputs, with fresh value names. Field numbers follow onnx.proto; only what the oracle graphs use is here.
/// </summary>
public sealed class OnnxGraph
{
    // onnx.proto TensorProto.DataType
    public const int FloatType = 1, Uint8Type = 2, Int64Type = 7;
    private const int OpsetVersion = 17;

    private readonly List<ProtoWriter> _nodes = [];
    private readonly List<ProtoWriter> _initializers = [];
    private readonly List<ProtoWriter> _inputs = [];
    private readonly List<ProtoWriter> _outputs = [];
    private bool _usesMicrosoftOps;
    private int _next;

    /// <summary>A graph input; a negative dimension is symbolic.</summary>
    public string Input(string name, int elementType, params long[] dims)
    {
        _inputs.Add(ValueInfo(name, elementType, dims));
        return name;
    }

    public void Output(string value) => _outputs.Add(ValueInfo(value, FloatType, null));

    public string Constant(ReadOnlySpan<float> values, params long[] dims) =>
        Initializer(FloatType, MemoryMarshal.AsBytes(values), dims, values.Length);

    public string Constant(ReadOnlySpan<long> values, params long[] dims) =>
        Initializer(Int64Type, MemoryMarshal.AsBytes(values), dims, values.Length);

    public string Constant(ReadOnlySpan<byte> values, params long[] dims) =>
        Initializer(Uint8Type, values, dims, values.Length);

    public string Scalar(float value) => Constant([value]);

    public string Ints(params long[] values) => Constant(values, values.Length);

    /// <summary>Adds one operator and returns the name of its (first) output.</summary>
    public string Node(string op, string[] inputs, Action<AttributeList>? attributes = null, string domain = "") =>
        NodeOutputs(op, inputs, 1, attributes, domain)[0];

    public string[] NodeOutputs(string op, string[] inputs, int outputCount, Action<AttributeList>? attributes = null, string domain = "")
    {
        var node = new ProtoWriter();
        foreach (string input in inputs)
            node.String(1, input);
        var outputs = new string[outputCount];
        for (int i = 0; i < outputCount; i++)
            node.String(2, outputs[i] = Fresh(op));
        node.String(3, Fresh(op + "_node")).String(4, op);
        if (domain.Length > 0)
        {
            node.String(7, domain);
            _usesMicrosoftOps |= domain == "com.microsoft";
        }
        if (attributes is not null)
        {
            var list = new AttributeList();
            attributes(list);
            foreach (var attribute in list.Items)
                node.Message(5, attribute);
        }
        _nodes.Add(node);
        return outputs;
    }

    /// <summary>The serialized ModelProto, ready for an ONNX Runtime session.</summary>
    public byte[] ToModel()
    {
        var graph = new ProtoWriter();
        foreach (var node in _nodes)
            graph.Message(1, node);
        graph.String(2, "fastinfer_oracle");
        foreach (var initializer in _initializers)
            graph.Message(5, initializer);
        foreach (var input in _inputs)
            graph.Message(11, input);
        foreach (var output in _outputs)
            graph.Message(12, output);

        var model = new ProtoWriter().Int(1, 8).String(2, "FastInfer.Accuracy");
        model.Message(7, graph);
        model.Message(8, new ProtoWriter().String(1, "").Int(2, OpsetVersion));
        if (_usesMicrosoftOps)
            model.Message(8, new ProtoWriter().String(1, "com.microsoft").Int(2, 1));
        return model.ToArray();
    }

    private string Initializer(int elementType, ReadOnlySpan<byte> raw, long[] dims, int count)
    {
        if (dims.Aggregate(1L, (a, b) => a * b) != count)
            throw new ArgumentException($"{count} values do not fill shape [{string.Join(", ", dims)}]");
        string name = Fresh("const");
        _initializers.Add(new ProtoWriter().PackedInts(1, dims).Int(2, elementType).String(8, name).Bytes(9, raw));
        return name;
    }

    private static ProtoWriter ValueInfo(string name, int elementType, long[]? dims)
    {
        var tensorType = new ProtoWriter().Int(1, elementType);
        if (dims is not null)
        {
            var shape = new ProtoWriter();
            foreach (long dim in dims)
                shape.Message(1, dim >= 0 ? new ProtoWriter().Int(1, dim) : new ProtoWriter().String(2, $"d{-dim}"));
            tensorType.Message(2, shape);
        }
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType));
    }

    private string Fresh(string prefix) => $"{prefix}_{_next++}";

    /// <summary>A node's attributes (onnx.proto AttributeProto).</summary>
    public sealed class AttributeList
    {
        private const int FloatKind = 1, IntKind = 2, IntsKind = 7;
        internal List<ProtoWriter> Items { get; } = [];

        public AttributeList Int(string name, long value)
        {
            Items.Add(new ProtoWriter().String(1, name).Int(3, value).Int(20, IntKind));
            return this;
        }

        public AttributeList Float(string name, float value)
        {
            Items.Add(new ProtoWriter().String(1, name).Float(2, value).Int(20, FloatKind));
            return this;
        }

        public AttributeList Ints(string name, params long[] values)
        {
            Items.Add(new ProtoWriter().String(1, name).PackedInts(8, values).Int(20, IntsKind));
            return this;
        }
    }
}
