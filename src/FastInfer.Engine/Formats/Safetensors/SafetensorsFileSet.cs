using System.Text.Json;

namespace FastInfer.Engine.Formats.Safetensors;

/// <summary>One tensor of a <see cref="SafetensorsFileSet"/>: its entry and the file that holds it.</summary>
public sealed record SafetensorsEntry(SafetensorsFile File, SafetensorsTensorInfo Info)
{
    public string Name => Info.Name;

    /// <summary>The tensor as a zero-copy view (see <see cref="SafetensorsFile.View"/>).</summary>
    public TensorView View(string? viewName = null) => File.View(Info, viewName);
}

/// <summary>
/// One or more safetensors files seen as one set of uniquely named tensors — a single <c>model.safetensors</c>,
/// or the shards a <c>model.safetensors.index.json</c> lists (<c>{"weight_map": {tensor: shard file}}</c>).
/// The index and the shards' headers must agree exactly, so a missing or duplicated tensor fails at open.
/// </summary>
public sealed class SafetensorsFileSet : IDisposable
{
    /// <summary>The index file's conventional name in a Hugging Face model folder.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, SafetensorsEntry> _byName;

    private SafetensorsFileSet(List<SafetensorsFile> files, List<SafetensorsEntry> entries)
    {
        _files = files;
        Entries = entries;
        _byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    public IReadOnlyList<SafetensorsFile> Files => _files;

    /// <summary>Every tensor, file by file in header order.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    public SafetensorsEntry? Find(string name) => _byName.GetValueOrDefault(name);

    public void Dispose()
    {
        foreach (var file in _files)
            file.Dispose();
    }

    /// <summary>Opens files whose tensors are combined; a name found in two files is an error.</summary>
    public static SafetensorsFileSet OpenFiles(IEnumerable<string> paths) =>
        OpenAll(paths.ToList(), (files, entries) => { });

    /// <summary>Opens every shard a <c>model.safetensors.index.json</c> names (shards are resolved next to the index).</summary>
    public static SafetensorsFileSet OpenIndex(string indexPath)
    {
        if (!File.Exists(indexPath))
            throw new FileNotFoundException($"shard index '{indexPath}' does not exist", indexPath);
        var weightMap = ReadWeightMap(indexPath);
        string folder = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var shardNames = weightMap.Values.Select(v => v.Shard).Distinct(StringComparer.Ordinal).ToList();
        foreach (var shard in shardNames)
        {
            string shardPath = Path.Combine(folder, shard);
            if (!File.Exists(shardPath))
            {
                string example = weightMap.First(kv => kv.Value.Shard == shard).Key;
                throw new FileNotFoundException(
                    $"{Path.GetFileName(indexPath)} maps tensor '{example}' to shard '{shard}', which is missing from {folder}", shardPath);
            }
        }
        return OpenAll(shardNames.Select(s => Path.Combine(folder, s)).ToList(), (files, entries) =>
        {
            foreach (var entry in entries)
            {
                string shard = Path.GetFileName(entry.File.Path);
                if (!weightMap.TryGetValue(entry.Name, out var listed))
                    throw new SafetensorsFormatException(indexPath, $"tensor '{entry.Name}' is stored in shard '{shard}' but the weight_map does not list it", 0);
                if (listed.Shard != shard)
                {
                    throw new SafetensorsFormatException(indexPath,
                        $"weight_map lists tensor '{entry.Name}' in shard '{listed.Shard}', but shard '{shard}' holds it", listed.Offset);
                }
            }
            var present = entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var (name, listed) in weightMap)
            {
                if (!present.Contains(name))
                    throw new SafetensorsFormatException(indexPath, $"weight_map lists tensor '{name}' in shard '{listed.Shard}', which does not contain it", listed.Offset);
            }
        });
    }

    private static SafetensorsFileSet OpenAll(List<string> paths, Action<List<SafetensorsFile>, List<SafetensorsEntry>> check)
    {
        var files = new List<SafetensorsFile>();
        try
        {
            var entries = new List<SafetensorsEntry>();
            var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var path in paths)
            {
                var file = SafetensorsFile.Open(path);
                files.Add(file);
                foreach (var tensor in file.Tensors)
                {
                    if (owner.TryGetValue(tensor.Name, out var first))
                        throw new SafetensorsFormatException(file.Path, $"also stored in {Path.GetFileName(first.Path)}", SafetensorsHeader.LengthPrefixBytes, tensor.Name);
                    owner[tensor.Name] = file;
                    entries.Add(new SafetensorsEntry(file, tensor));
                }
            }
            check(files, entries);
            return new SafetensorsFileSet(files, entries);
        }
        catch
        {
            foreach (var file in files)
                file.Dispose();
            throw;
        }
    }

    private static Dictionary<string, (string Shard, long Offset)> ReadWeightMap(string indexPath)
    {
        Exception Fail(string problem, long offset) => new SafetensorsFormatException(indexPath, problem, offset);
        byte[] json = File.ReadAllBytes(indexPath);
        var reader = new Utf8JsonReader(json);
        var map = new Dictionary<string, (string, long)>(StringComparer.Ordinal);
        bool found = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw Fail("the index is not a JSON object", 0);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                long fieldOffset = reader.TokenStartIndex;
                bool isWeightMap = reader.ValueTextEquals("weight_map"u8);
                reader.Read();
                if (!isWeightMap)
                {
                    reader.Skip();
                    continue;
                }
                if (found)
                    throw Fail("key 'weight_map' appears twice", fieldOffset);
                found = true;
                // Read with offsets (not as a JsonElement) so duplicates and bad shard names can be located.
                foreach (var field in JsonFields.ReadObject(ref reader, (problem, offset) => Fail("weight_map: " + problem, offset)))
                {
                    if (field.Value.ValueKind != JsonValueKind.String)
                        throw Fail($"weight_map entry for tensor '{field.Name}' is {field.Value.ValueKind}, not a shard file name", field.Offset);
                    string shard = field.Value.GetString()!;
                    // A shard is a file beside the index; anything path-like could point outside the model folder.
                    if (shard.Length == 0 || shard != Path.GetFileName(shard) || shard is "." or ".." || shard.Contains('\\'))
                        throw Fail($"weight_map entry for tensor '{field.Name}' names '{shard}', which is not a plain file name", field.Offset);
                    map[field.Name] = (shard, field.Offset);
                }
            }
        }
        catch (JsonException e)
        {
            throw Fail(JsonFields.Describe(e), reader.BytesConsumed);
        }
        if (!found)
            throw Fail("the index has no 'weight_map' object", 0);
        if (map.Count == 0)
            throw Fail("the weight_map is empty", 0);
        return map;
    }
}
