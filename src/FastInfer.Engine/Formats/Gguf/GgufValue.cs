using System.Globalization;

namespace FastInfer.Engine.Formats.Gguf;

/// <summary>
/// One GGUF metadata value: a scalar, a string, or an array (of scalars, strings or further arrays).
/// Arrays keep their element type so the writer reproduces them exactly. The accessors convert between
/// integer widths when the value fits, because writers disagree on e.g. uint32 versus int32 for counts.
/// </summary>
public sealed class GgufValue
{
    private readonly object _value;

    private GgufValue(GgufValueType type, object value, GgufValueType elementType = GgufValueType.UInt8)
    {
        Type = type;
        _value = value;
        ElementType = elementType;
    }

    public GgufValueType Type { get; }

    /// <summary>For arrays, the type of every element; meaningless otherwise.</summary>
    public GgufValueType ElementType { get; }

    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>Number of elements of an array value.</summary>
    public int ArrayLength => IsArray ? ((Array)_value).Length : throw Mismatch("an array");

    /// <summary>The stored value: a boxed scalar, a string, or a typed .NET array (GgufValue[] for nested arrays).</summary>
    public object RawValue => _value;

    public static GgufValue Of(byte value) => new(GgufValueType.UInt8, value);
    public static GgufValue Of(sbyte value) => new(GgufValueType.Int8, value);
    public static GgufValue Of(ushort value) => new(GgufValueType.UInt16, value);
    public static GgufValue Of(short value) => new(GgufValueType.Int16, value);
    public static GgufValue Of(uint value) => new(GgufValueType.UInt32, value);
    public static GgufValue Of(int value) => new(GgufValueType.Int32, value);
    public static GgufValue Of(ulong value) => new(GgufValueType.UInt64, value);
    public static GgufValue Of(long value) => new(GgufValueType.Int64, value);
    public static GgufValue Of(float value) => new(GgufValueType.Float32, value);
    public static GgufValue Of(double value) => new(GgufValueType.Float64, value);
    public static GgufValue Of(bool value) => new(GgufValueType.Bool, value);
    public static GgufValue Of(string value) => new(GgufValueType.String, value ?? throw new ArgumentNullException(nameof(value)));

    public static GgufValue Of(byte[] values) => ArrayOf(GgufValueType.UInt8, values);
    public static GgufValue Of(sbyte[] values) => ArrayOf(GgufValueType.Int8, values);
    public static GgufValue Of(ushort[] values) => ArrayOf(GgufValueType.UInt16, values);
    public static GgufValue Of(short[] values) => ArrayOf(GgufValueType.Int16, values);
    public static GgufValue Of(uint[] values) => ArrayOf(GgufValueType.UInt32, values);
    public static GgufValue Of(int[] values) => ArrayOf(GgufValueType.Int32, values);
    public static GgufValue Of(ulong[] values) => ArrayOf(GgufValueType.UInt64, values);
    public static GgufValue Of(long[] values) => ArrayOf(GgufValueType.Int64, values);
    public static GgufValue Of(float[] values) => ArrayOf(GgufValueType.Float32, values);
    public static GgufValue Of(double[] values) => ArrayOf(GgufValueType.Float64, values);
    public static GgufValue Of(bool[] values) => ArrayOf(GgufValueType.Bool, values);
    public static GgufValue Of(string[] values) => ArrayOf(GgufValueType.String, values);

    /// <summary>An array of arrays; every element must itself be an array.</summary>
    public static GgufValue Of(GgufValue[] arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        if (arrays.Any(a => a is null || !a.IsArray))
            throw new ArgumentException("a nested GGUF array holds only arrays", nameof(arrays));
        return new GgufValue(GgufValueType.Array, arrays, GgufValueType.Array);
    }

    private static GgufValue ArrayOf(GgufValueType elementType, Array values) =>
        new(GgufValueType.Array, values ?? throw new ArgumentNullException(nameof(values)), elementType);

    /// <summary>Wraps an already-typed value the reader decoded (no copy).</summary>
    internal static GgufValue FromDecoded(GgufValueType type, object value, GgufValueType elementType) =>
        new(type, value, elementType);

    public string AsString() => _value as string ?? throw Mismatch("a string");

    public bool AsBool() => _value is bool b ? b : throw Mismatch("a bool");

    public long AsInt64() => IntegerValue(_value) ?? throw Mismatch("an integer");

    public ulong AsUInt64() => _value is ulong u ? u : (ulong)Checked(AsInt64(), 0, long.MaxValue, "a non-negative integer");

    public int AsInt32() => (int)Checked(AsInt64(), int.MinValue, int.MaxValue, "a 32-bit integer");

    public uint AsUInt32() => (uint)Checked(AsInt64(), 0, uint.MaxValue, "an unsigned 32-bit integer");

    /// <summary>A float32 value (float64 is narrowed; integers are not silently accepted).</summary>
    public float AsFloat32() => _value switch
    {
        float f => f,
        double d => (float)d,
        _ => throw Mismatch("a float"),
    };

    public double AsFloat64() => _value switch
    {
        float f => f,
        double d => d,
        _ => throw Mismatch("a float"),
    };

    public string[] AsStringArray() => _value as string[] ?? throw Mismatch("an array of strings");

    public float[] AsFloatArray() => _value switch
    {
        float[] f => f,
        double[] d => Array.ConvertAll(d, x => (float)x),
        _ => throw Mismatch("an array of floats"),
    };

    /// <summary>An array of any integer type, each element checked to fit in an int.</summary>
    public int[] AsIntArray()
    {
        if (_value is int[] ints)
            return ints;
        if (!IsArray || _value is not Array array || ElementType is GgufValueType.Float32 or GgufValueType.Float64
            or GgufValueType.Bool or GgufValueType.String or GgufValueType.Array)
            throw Mismatch("an array of integers");
        var result = new int[array.Length];
        for (int i = 0; i < result.Length; i++)
            result[i] = (int)Checked(IntegerValue(array.GetValue(i)!)!.Value, int.MinValue, int.MaxValue, "an array of 32-bit integers");
        return result;
    }

    /// <summary>Elements of a nested array.</summary>
    public GgufValue[] AsArrayOfArrays() => _value as GgufValue[] ?? throw Mismatch("an array of arrays");

    public override string ToString() => _value switch
    {
        string s => s,
        GgufValue[] nested => "[" + string.Join(", ", nested.Select(n => n.ToString())) + "]",
        Array a => $"[{ElementType} x {a.Length}]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => _value.ToString() ?? "",
    };

    private static long? IntegerValue(object value) => value switch
    {
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        long v => v,
        ulong v => v <= long.MaxValue ? (long)v : null,
        _ => null,
    };

    private long Checked(long value, long min, long max, string what) =>
        value >= min && value <= max ? value : throw Mismatch(what, $"value {value} is out of range");

    private FormatException Mismatch(string expected, string? detail = null) =>
        new($"metadata value of type {Describe()} is not {expected}" + (detail is null ? "" : $" ({detail})"));

    private string Describe() => IsArray ? $"array of {ElementType}" : Type.ToString();
}
