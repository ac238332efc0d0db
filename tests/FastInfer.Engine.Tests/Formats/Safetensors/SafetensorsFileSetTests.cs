using FastInfer.Engine.Formats.Safetensors;

namespace FastInfer.Engine.Tests.Formats.Safetensors;

/// <summary>Sharded checkpoints: the index and the shards' headers must agree exactly.</summary>
public class SafetensorsFileSetTests
{
    private const string Shard1 = "model-00001-of-00002.safetensors";
    private const string Shard2 = "model-00002-of-00002.safetensors";

    /// <summary>Writes shard 1 with tensors a, b and shard 2 with c (and any extra names given per shard).</summary>
    private static void WriteShards(TempFolder folder, string[]? extra1 = null, string[]? extra2 = null)
    {
        var first = new SafetensorsWriter();
        first.AddFloats("a", SafetensorsDType.F32, [1f, 2f], 2);
        first.AddFloats("b", SafetensorsDType.BF16, [3f, 4f, 5f], 3);
        foreach (var name in extra1 ?? [])
            first.AddFloats(name, SafetensorsDType.F32, [0f], 1);
        first.Write(folder.File(Shard1));
        var second = new SafetensorsWriter();
        second.AddFloats("c", SafetensorsDType.F16, [6f, 7f, 8f, 9f], 2, 2);
        foreach (var name in extra2 ?? [])
            second.AddFloats(name, SafetensorsDType.F32, [0f], 1);
        second.Write(folder.File(Shard2));
    }

    private static string WriteIndex(TempFolder folder, string weightMap)
    {
        string path = folder.File(SafetensorsFileSet.IndexFileName);
        File.WriteAllText(path, "{\"metadata\": {\"total_size\": 24}, \"weight_map\": {" + weightMap + "}}");
        return path;
    }

    private const string CorrectMap = $"\"a\": \"{Shard1}\", \"b\": \"{Shard1}\", \"c\": \"{Shard2}\"";

    [Fact]
    public void IndexCombinesTheShardsIntoOneSet()
    {
        using var folder = new TempFolder();
        WriteShards(folder);
        using var set = SafetensorsFileSet.OpenIndex(WriteIndex(folder, CorrectMap));
        Assert.Equal(2, set.Files.Count);
        Assert.Equal(["a", "b", "c"], set.Entries.Select(e => e.Name));
        Assert.Equal(Shard2, Path.GetFileName(set.Find("c")!.File.Path));
        Assert.Equal([1f, 2f], set.Find("a")!.View().AsF32Span().ToArray());
        var c = set.Find("c")!.View("renamed");
        Assert.Equal("renamed", c.Name);
        Assert.Equal([2L, 2L], c.Dimensions);
        Assert.Null(set.Find("d"));
    }

    [Fact]
    public void MissingShardIsNamed()
    {
        using var folder = new TempFolder();
        WriteShards(folder);
        File.Delete(folder.File(Shard2));
        var e = Assert.Throws<FileNotFoundException>(() => SafetensorsFileSet.OpenIndex(WriteIndex(folder, CorrectMap)));
        Assert.Contains($"tensor 'c' to shard '{Shard2}', which is missing", e.Message);
    }

    [Fact]
    public void TensorStoredInTwoShardsIsReported()
    {
        using var folder = new TempFolder();
        WriteShards(folder, extra2: ["a"]);
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFileSet.OpenIndex(WriteIndex(folder, CorrectMap)));
        Assert.Equal("a", e.Tensor);
        Assert.Contains($"also stored in {Shard1}", e.Message);
    }

    [Fact]
    public void TensorListedTwiceInTheWeightMapIsReported()
    {
        using var folder = new TempFolder();
        WriteShards(folder);
        string index = WriteIndex(folder, CorrectMap + $", \"a\": \"{Shard2}\"");
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFileSet.OpenIndex(index));
        Assert.Contains("key 'a' appears twice", e.Message);
        Assert.Equal(File.ReadAllText(index).LastIndexOf("\"a\"", StringComparison.Ordinal), e.Offset);
    }

    [Theory]
    [InlineData($"\"a\": \"{Shard2}\", \"b\": \"{Shard1}\", \"c\": \"{Shard2}\"", "lists tensor 'a' in shard 'model-00002-of-00002.safetensors', but shard 'model-00001-of-00002.safetensors' holds it")]
    [InlineData($"\"a\": \"{Shard1}\", \"c\": \"{Shard2}\"", "tensor 'b' is stored in shard 'model-00001-of-00002.safetensors' but the weight_map does not list it")]
    [InlineData(CorrectMap + $", \"d\": \"{Shard2}\"", "lists tensor 'd' in shard 'model-00002-of-00002.safetensors', which does not contain it")]
    [InlineData(CorrectMap + ", \"e\": \"../model-00001-of-00002.safetensors\"", "not a plain file name")]
    [InlineData(CorrectMap + ", \"e\": 3", "is Number, not a shard file name")]
    [InlineData("", "the weight_map is empty")]
    public void IndexThatDisagreesWithTheShardsIsReported(string weightMap, string fragment)
    {
        using var folder = new TempFolder();
        WriteShards(folder);
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFileSet.OpenIndex(WriteIndex(folder, weightMap)));
        Assert.Contains(fragment, e.Message);
        Assert.Contains(SafetensorsFileSet.IndexFileName, e.Message);
    }

    [Theory]
    [InlineData("{\"metadata\": {}}", "no 'weight_map' object")]
    [InlineData("{\"weight_map\": [1]}", "expected a JSON object")]
    [InlineData("{\"weight_map\": {\"a\": ", "invalid JSON")]
    [InlineData("[]", "not a JSON object")]
    public void MalformedIndexIsReported(string json, string fragment)
    {
        using var folder = new TempFolder();
        string path = folder.File(SafetensorsFileSet.IndexFileName);
        File.WriteAllText(path, json);
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFileSet.OpenIndex(path));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void PlainFilesAreCombinedAndMustNotShareNames()
    {
        using var folder = new TempFolder();
        WriteShards(folder);
        using (var set = SafetensorsFileSet.OpenFiles([folder.File(Shard1), folder.File(Shard2)]))
            Assert.Equal(3, set.Entries.Count);
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFileSet.OpenFiles([folder.File(Shard1), folder.File(Shard1)]));
        Assert.Contains("also stored in", e.Message);
    }
}
