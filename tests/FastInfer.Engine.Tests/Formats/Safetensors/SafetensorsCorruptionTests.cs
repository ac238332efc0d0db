using System.Text;
using FastInfer.Engine.Formats.Safetensors;

namespace FastInfer.Engine.Tests.Formats.Safetensors;

/// <summary>Every way a safetensors header can lie about its data ends in an exception that names the problem.</summary>
public class SafetensorsCorruptionTests
{
    private const string Good = """{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}""";

    private static SafetensorsFormatException Open(string json, int bufferLength)
    {
        using var folder = new TempFolder();
        string path = folder.File("bad.safetensors");
        RawSafetensors.Write(path, json, bufferLength);
        return Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());
    }

    public static TheoryData<string, string, int, string?, string> Cases => new()
    {
        // name, header JSON, data buffer bytes, tensor named in the error, message fragment
        { "unknown dtype", """{"w":{"dtype":"F128","shape":[2],"data_offsets":[0,32]}}""", 32, "w", "unknown value 'F128'" },
        { "lower-case dtype", """{"w":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}""", 8, "w", "unknown value 'f32'" },
        { "numeric dtype", """{"w":{"dtype":"11","shape":[2],"data_offsets":[0,8]}}""", 8, "w", "unknown value '11'" },
        { "missing dtype", """{"w":{"shape":[2],"data_offsets":[0,8]}}""", 8, "w", "'dtype' is missing" },
        { "negative dim", """{"w":{"dtype":"F32","shape":[-2,3],"data_offsets":[0,24]}}""", 24, "w", "negative dimension -2" },
        { "fractional dim", """{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,6]}}""", 6, "w", "item 0 (1.5) is not a 64-bit integer" },
        { "overflowing shape", """{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", 8, "w", "overflows" },
        { "size mismatch", """{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}""", 24, "w", "needs 24 bytes but 'data_offsets' [0, 20] span 20" },
        { "past the end", """{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}}""", 24, "w", "ends at 32, past the 24-byte data buffer" },
        { "begin after end", """{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}""", 24, "w", "begins at 8 after its end 4" },
        { "negative offset", """{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", 24, "w", "is negative" },
        { "three offsets", """{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}""", 24, "w", "found 3 numbers" },
        { "overlap", """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}""", 24, "b", "overlap tensor 'a'" },
        { "entry not an object", """{"w":[1,2]}""", 0, "w", "entry must be an object" },
        { "duplicate tensor", """{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, null, "key 'w' appears twice" },
        { "metadata not strings", """{"__metadata__":{"format":1}}""", 0, null, "__metadata__ value 'format' must be a string" },
        { "invalid JSON", """{"w":{"dtype":"F32",""", 0, null, "invalid JSON" },
        { "not an object", """[{"dtype":"F32"}]""", 0, null, "expected a JSON object" },
        { "trailing content", """{} {}""", 0, null, "invalid JSON" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void CorruptHeaderIsReported(string name, string json, int bufferLength, string? tensor, string fragment)
    {
        var e = Open(json, bufferLength);
        Assert.True(e.Message.Contains(fragment, StringComparison.Ordinal), $"{name}: '{e.Message}' lacks '{fragment}'");
        Assert.Equal(tensor, e.Tensor);
        Assert.Contains("bad.safetensors", e.Message);
        Assert.InRange(e.Offset, 0, 8 + json.Length);
    }

    [Fact]
    public void ErrorOffsetPointsAtTheTensorsEntryInTheFile()
    {
        string json = """{"ok":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"bad":{"dtype":"F32","shape":[2],"data_offsets":[4,8]}}""";
        var e = Open(json, 8);
        Assert.Equal("bad", e.Tensor);
        Assert.Equal(8 + json.IndexOf("\"bad\"", StringComparison.Ordinal), e.Offset);
    }

    [Fact]
    public void InvalidUtf8IsReportedAtItsByte()
    {
        using var folder = new TempFolder();
        string path = folder.File("bad.safetensors");
        var json = Encoding.UTF8.GetBytes(Good.Replace("\"w\"", "\"w?\""));
        int at = Array.IndexOf(json, (byte)'?');
        json[at] = 0xff;
        RawSafetensors.Write(path, json, 24);
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("not valid UTF-8", e.Message);
        Assert.Equal(8 + at, e.Offset);
    }

    [Theory]
    [InlineData(1ul << 62, "runs past the end")]
    [InlineData(200ul, "runs past the end")]
    [InlineData(1ul, "too short for a JSON object")]
    [InlineData(0ul, "too short for a JSON object")]
    public void AbsurdHeaderLengthIsReported(ulong declared, string fragment)
    {
        using var folder = new TempFolder();
        string path = folder.File("bad.safetensors");
        RawSafetensors.Write(path, Encoding.UTF8.GetBytes(Good), 24, declared);
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains(fragment, e.Message);
        Assert.Equal(0, e.Offset);
    }

    [Fact]
    public void HeaderLongerThanTheFormatsLimitIsRefusedBeforeParsing()
    {
        using var folder = new TempFolder();
        string path = folder.File("big.safetensors");
        RawSafetensors.Write(path, Encoding.UTF8.GetBytes(Good), 24, declaredLength: (ulong)SafetensorsHeader.MaxJsonBytes + 1);
        using (var stream = new FileStream(path, FileMode.Open))
            stream.SetLength(SafetensorsHeader.MaxJsonBytes + 64); // sparse on Linux: no 100 MB written
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("exceeds the format's limit", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void FileTooShortForTheLengthPrefixIsReported(int length)
    {
        using var folder = new TempFolder();
        string path = folder.File("tiny.safetensors");
        File.WriteAllBytes(path, new byte[length]);
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("too short", e.Message);
    }

    [Fact]
    public void MissingFileIsReported() =>
        Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open("/nonexistent/model.safetensors"));
}
