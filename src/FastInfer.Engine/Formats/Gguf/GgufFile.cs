using System.Numerics;

namespace FastInfer.Engine.Formats.Gguf;

/// <summary>
/// A GGUF v2/v3 file, memory-mapped: metadata is decoded at open, tensors are zero-copy views into the mapping.
/// Everything read from the file is validated before use; a bad file gives a <see cref="GgufFormatException"/>.
/// </summary>
public sealed class GgufFile : ITensorSource, IMappedTensorSource
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;
    public const int DefaultAlignment = 32;
    public const string AlignmentKey = "general.alignment";

    private readonly MappedFile _file;
    private readonly Dictionary<string, GgufValue> _metadata;
    private readonly Dictionary<string, long> _metadataOffsets;
    private readonly Dictionary<string, TensorView> _byName;

    internal GgufFile(MappedFile file, int version, Dictionary<string, GgufValue> metadata, Dictionary<string, long> metadataOffsets,
        List<TensorView> tensors, int alignment, long dataOffset)
    {
        _file = file;
        Version = version;
        _metadata = metadata;
        _metadataOffsets = metadataOffsets;
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name);
        Alignment = alignment;
        DataOffset = dataOffset;
    }

    public string Path => _file.Path;
    public int Version { get; }
    public long FileLength => _file.Length;
    public int Alignment { get; }

    /// <summary>Byte offset of the tensor data section; tensor offsets in the file are relative to it.</summary>
    public long DataOffset { get; }

    public IReadOnlyDictionary<string, GgufValue> Metadata => _metadata;
    public IReadOnlyList<TensorView> Tensors { get; }

    public TensorView? Find(string name) => _byName.GetValueOrDefault(name);

    public TensorView Get(string name) => Find(name) ?? throw MissingTensor(name);

    internal static FormatException MissingTensor(string name) => new($"tensor '{name}' is missing from the model file");

    public static GgufFile Open(string path)
    {
        var file = MappedFile.Open(path);
        try
        {
            return GgufParser.Parse(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Byte offset in the file of a tensor's first data byte.</summary>
    public long FileOffsetOf(TensorView tensor) => tensor.Data - _file.Pointer;

    public bool ContainsKey(string key) => _metadata.ContainsKey(key);

    /// <summary>Byte offset of a key's value in the file, or -1 when the key is absent.</summary>
    public long OffsetOf(string key) => _metadataOffsets.TryGetValue(key, out long offset) ? offset : -1;

    public string GetString(string key) => GetMetadata(key, v => v.AsString());
    public uint GetUInt32(string key) => GetMetadata(key, v => v.AsUInt32());
    public int GetInt32(string key) => GetMetadata(key, v => v.AsInt32());
    public float GetFloat32(string key) => GetMetadata(key, v => v.AsFloat32());
    public bool GetBool(string key) => GetMetadata(key, v => v.AsBool());

    public bool TryGetString(string key, out string value) => TryGetMetadata(key, v => v.AsString(), out value!);
    public bool TryGetUInt32(string key, out uint value) => TryGetMetadata(key, v => v.AsUInt32(), out value);
    public bool TryGetInt32(string key, out int value) => TryGetMetadata(key, v => v.AsInt32(), out value);
    public bool TryGetFloat32(string key, out float value) => TryGetMetadata(key, v => v.AsFloat32(), out value);
    public bool TryGetBool(string key, out bool value) => TryGetMetadata(key, v => v.AsBool(), out value);

    /// <summary>The value under <paramref name="key"/> converted by <paramref name="read"/>; a missing key or wrong type names the key.</summary>
    public T GetMetadata<T>(string key, Func<GgufValue, T> read)
    {
        if (!_metadata.TryGetValue(key, out var value))
            throw new GgufFormatException($"metadata '{key}'", -1, "required key is missing");
        return Convert(key, value, read);
    }

    /// <summary>False when the key is absent; a present value of the wrong type still throws, naming the key.</summary>
    public bool TryGetMetadata<T>(string key, Func<GgufValue, T> read, out T value)
    {
        if (!_metadata.TryGetValue(key, out var raw))
        {
            value = default!;
            return false;
        }
        value = Convert(key, raw, read);
        return true;
    }

    private T Convert<T>(string key, GgufValue value, Func<GgufValue, T> read)
    {
        try
        {
            return read(value);
        }
        catch (FormatException e) when (e is not GgufFormatException)
        {
            throw new GgufFormatException($"metadata '{key}'", OffsetOf(key), e.Message);
        }
    }

    internal static bool IsPowerOfTwo(long value) => value > 0 && BitOperations.IsPow2(value);

    void IMappedTensorSource.ReleasePages(nint address, long length) => _file.ReleasePages(address, length);

    public void Dispose() => _file.Dispose();

    public override string ToString() =>
        $"GGUF v{Version} '{System.IO.Path.GetFileName(Path)}': {_metadata.Count} keys, {Tensors.Count} tensors, {FileLength} bytes";
}
