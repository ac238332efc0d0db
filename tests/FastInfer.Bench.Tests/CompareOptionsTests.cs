using FastInfer.Bench.Compare;

namespace FastInfer.Bench.Tests;

public class CompareOptionsTests
{
    [Fact]
    public void Defaults_measure_both_thread_counts_with_half_second_samples()
    {
        var options = CompareOptions.Parse([]);
        Assert.Equal([1, 2], options.Threads);
        Assert.Equal(3, options.Repeats);
        Assert.Equal(0.5, options.MinSampleSeconds);
        Assert.Equal([128, 512], options.PromptLengths);
        Assert.Equal(FastInfer.Engine.KvCacheType.F32, options.KvCacheType);
    }

    [Fact]
    public void The_kv_cache_type_is_f32_or_f16_and_anything_else_is_named()
    {
        Assert.Equal(FastInfer.Engine.KvCacheType.F16, CompareOptions.Parse(["--kv-type", "f16"]).KvCacheType);
        Assert.Equal(FastInfer.Engine.KvCacheType.F32, CompareOptions.Parse(["--kv-type", "F32"]).KvCacheType);
        var e = Assert.Throws<ArgumentException>(() => CompareOptions.Parse(["--kv-type", "q8_0"]));
        Assert.Contains("--kv-type", e.Message);
        Assert.Contains("q8_0", e.Message);
    }

    [Fact]
    public void Min_sample_is_parsed_in_seconds()
    {
        Assert.Equal(1.25, CompareOptions.Parse(["--min-sample", "1.25"]).MinSampleSeconds);
        Assert.Equal(0, CompareOptions.Parse(["--min-sample", "0"]).MinSampleSeconds);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("61")]
    [InlineData("abc")]
    public void A_bad_min_sample_names_the_option(string value)
    {
        var e = Assert.Throws<ArgumentException>(() => CompareOptions.Parse(["--min-sample", value]));
        Assert.Contains("--min-sample", e.Message);
        Assert.Contains(value, e.Message);
    }

    [Fact]
    public void Quick_is_one_prompt_length_two_repeats_all_cores()
    {
        var options = CompareOptions.Parse(["--quick"]);
        Assert.Equal([128], options.PromptLengths);
        Assert.Equal(2, options.Repeats);
        Assert.Equal([Environment.ProcessorCount], options.Threads);
    }

    [Fact]
    public void A_missing_value_and_an_unknown_argument_are_errors_with_the_usage()
    {
        Assert.Contains("needs a value", Assert.Throws<ArgumentException>(() => CompareOptions.Parse(["--repeats"])).Message);
        Assert.Contains("unknown argument '--fast'", Assert.Throws<ArgumentException>(() => CompareOptions.Parse(["--fast"])).Message);
    }
}
