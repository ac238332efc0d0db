using FastInfer.Engine.Generation;
using FastInfer.Engine.Sampling;
using FastInfer.Tests;

namespace FastInfer.Engine.Tests.EndToEnd;

/// <summary>
/// The real trained stories260K model, as GGUF and as a llama2.c checkpoint, against llama2.c's own greedy
/// output (expected/*.txt, made with llama2.c's run.c).
/// </summary>
public class TinyStoriesModelTests
{
    private static LlamaModel LoadGguf(int threads = 2) =>
        LlamaModel.Load(TestModels.Require("stories260K.gguf"), new ModelLoadOptions { Threads = threads });

    private static LlamaModel LoadLlama2c() =>
        LlamaModel.Load(TestModels.Require("stories260K.bin"), new ModelLoadOptions { Threads = 2, TokenizerPath = TestModels.Require("tok512.bin") });

    private static string Expected(string name) => File.ReadAllText(TestModels.Require(Path.Combine("expected", name))).TrimEnd('\n');

    private static string Generate(LlamaModel model, string prompt, int tokens)
    {
        using var session = model.CreateSession();
        return prompt + string.Concat(session.Generate(prompt, new GenerationSettings { MaxTokens = tokens, Sampling = SamplingSettings.Greedy }));
    }

    [SkippableTheory]
    [InlineData("gguf")]
    [InlineData("llama2c")]
    public void GreedyWithoutPromptEqualsLlama2c(string format)
    {
        using var model = format == "gguf" ? LoadGguf() : LoadLlama2c();
        Assert.Equal(Expected("stories260K.run_t0_noprompt.txt"), Generate(model, "", 256));
    }

    [SkippableTheory]
    [InlineData("gguf")]
    [InlineData("llama2c")]
    public void GreedyWithPromptBeginsWithLlama2cOutput(string format)
    {
        using var model = format == "gguf" ? LoadGguf() : LoadLlama2c();
        string text = Generate(model, "Once upon a time", 200);
        Assert.StartsWith(Expected("stories260K.run_t0_n60_prompt.txt"), text);
    }

    [SkippableFact]
    public void AHalfKvCacheStillGivesLlama2csGreedyText()
    {
        using var model = LlamaModel.Load(TestModels.Require("stories260K.gguf"), new ModelLoadOptions { Threads = 2, KvCacheType = KvCacheType.F16 });
        Assert.Equal(KvCacheType.F16, model.Transformer.CreateState(4).Cache.Type);
        Assert.Equal(Expected("stories260K.run_t0_noprompt.txt"), Generate(model, "", 256));
        Assert.StartsWith(Expected("stories260K.run_t0_n60_prompt.txt"), Generate(model, "Once upon a time", 200));
    }

    [SkippableFact]
    public void AHalfKvCacheIsRefusedWithADeviceAndAnUnknownTypeIsNamed()
    {
        string path = TestModels.Require("stories260K.gguf");
        var device = Assert.Throws<ArgumentException>(() => LlamaModel.Load(path, new ModelLoadOptions
        {
            KvCacheType = KvCacheType.F16,
            Device = _ => throw new InvalidOperationException("the device must not be made"),
        }));
        Assert.Contains("F32 KV cache", device.Message);
        var unknown = Assert.Throws<ArgumentOutOfRangeException>(() => LlamaModel.Load(path, new ModelLoadOptions { KvCacheType = (KvCacheType)5 }));
        Assert.Contains("KV cache type 5", unknown.Message);
    }

    [SkippableFact]
    public void BothFormatsGiveIdenticalLogits()
    {
        using var gguf = LoadGguf();
        using var llama2c = LoadLlama2c();
        var a = gguf.Transformer.CreateState(16);
        var b = llama2c.Transformer.CreateState(16);
        int[] tokens = [1, 403, 407, 261, 378];
        for (int i = 0; i < tokens.Length; i++)
            Assert.Equal(gguf.Transformer.Forward(a, tokens[i], i).ToArray(), llama2c.Transformer.Forward(b, tokens[i], i).ToArray());
    }

    [SkippableFact]
    public void SameSeedGivesTheSameTextAndThreadCountDoesNotMatter()
    {
        var settings = new GenerationSettings { MaxTokens = 60, Sampling = new SamplingSettings { Temperature = 0.9f, Seed = 1234 } };
        string Run(int threads)
        {
            using var model = LoadGguf(threads);
            using var session = model.CreateSession();
            return string.Concat(session.Generate("Once upon a time", settings));
        }
        string first = Run(1);
        Assert.Equal(first, Run(2));
        Assert.Equal(first, Run(3));
        using var model = LoadGguf();
        using var session = model.CreateSession();
        Assert.NotEqual(first, string.Concat(session.Generate("Once upon a time", settings with { Sampling = settings.Sampling with { Seed = 99 } })));
    }

    [SkippableFact]
    public void PromptPastTheContextIsAClearError()
    {
        using var model = LoadGguf();
        using var session = model.CreateSession(contextLength: 8);
        var error = Assert.Throws<ContextLengthExceededException>(() => session.Generate("Once upon a time there was a girl named Lily"));
        Assert.Contains("context", error.Message);
        Assert.Equal(0, session.Position);
    }

    [SkippableFact]
    public void GenerationStopsWhenTheContextIsFull()
    {
        using var model = LoadGguf();
        using var session = model.CreateSession(contextLength: 10);
        var pieces = session.Generate("Once upon a time", new GenerationSettings { MaxTokens = 100, Sampling = SamplingSettings.Greedy }).ToList();
        Assert.Equal(StopReason.ContextFull, session.LastStats!.StopReason);
        Assert.Equal(10, session.Position);
        // BOS + 4 prompt tokens fill 5 positions, 5 generated tokens the other 5; the logits after the
        // last cached position still give one more token, which needs no cache row of its own.
        Assert.Equal(6, session.LastStats.GeneratedTokens);
    }

    [SkippableFact]
    public void TheCallersTimeBetweenPiecesIsNotGenerationTime()
    {
        using var model = LoadGguf();
        using var session = model.CreateSession();
        var callerTime = TimeSpan.Zero;
        foreach (var _ in session.Generate("Once upon a time", new GenerationSettings { MaxTokens = 5, Sampling = SamplingSettings.Greedy }))
        {
            Thread.Sleep(300); // a slow consumer: 5 tokens of this 260K-parameter model take milliseconds, not 1.5 s
            callerTime += TimeSpan.FromMilliseconds(300);
        }
        Assert.True(session.LastStats!.GenerationTime < callerTime,
            $"generation time {session.LastStats.GenerationTime} includes the {callerTime} the caller spent on the pieces");
    }

    [SkippableFact]
    public void StopStringEndsGenerationBeforeIt()
    {
        using var model = LoadGguf();
        using var session = model.CreateSession();
        string text = string.Concat(session.Generate("Once upon a time", new GenerationSettings
        {
            MaxTokens = 200, Sampling = SamplingSettings.Greedy, StopStrings = ["Lily"],
        }));
        Assert.Equal(", there was a little girl named ", text);
        Assert.Equal(StopReason.StopString, session.LastStats!.StopReason);
    }

    [SkippableFact]
    public void ASessionContinuesWhereItStopped()
    {
        using var model = LoadGguf();
        string whole = Generate(model, "Once upon a time", 40);
        using var session = model.CreateSession();
        var greedy = new GenerationSettings { MaxTokens = 20, Sampling = SamplingSettings.Greedy };
        string first = string.Concat(session.Generate("Once upon a time", greedy));
        string second = string.Concat(session.Generate("", greedy));
        Assert.Equal(whole, "Once upon a time" + first + second);
        session.Reset();
        Assert.Equal(0, session.Position);
        Assert.Equal(whole[..60], ("Once upon a time" + string.Concat(session.Generate("Once upon a time", greedy with { MaxTokens = 40 })))[..60]);
    }

    [SkippableFact]
    public async Task GenerateAsyncStreamsAndHonoursCancellation()
    {
        using var model = LoadGguf();
        using var session = model.CreateSession();
        using var cancellation = new CancellationTokenSource();
        int pieces = 0;
        await foreach (var piece in session.GenerateAsync("Once upon a time", new GenerationSettings { MaxTokens = 200, Sampling = SamplingSettings.Greedy }, cancellation.Token))
        {
            if (++pieces == 5)
                cancellation.Cancel();
        }
        Assert.Equal(StopReason.Cancelled, session.LastStats!.StopReason);
        Assert.Equal(5, session.LastStats.GeneratedTokens);
    }

    [SkippableFact]
    public void LlamaCheckpointWithoutTokenizerIsAClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => LlamaModel.Load(TestModels.Require("stories260K.bin")));
        Assert.Contains("tokenizer", error.Message);
    }

    [SkippableFact]
    public void DisposedModelRefusesNewSessions()
    {
        var model = LoadGguf();
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.CreateSession());
    }
}
