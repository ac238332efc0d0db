using FastInfer.Engine.Chat;
using FastInfer.Tests;
using Microsoft.Extensions.AI;

namespace FastInfer.Engine.Tests.Chat;

/// <summary>Microsoft.Extensions.AI's IChatClient over the real stories260K model.</summary>
public class ChatClientTests
{
    [SkippableFact]
    public async Task ResponseCarriesTextUsageAndFinishReason()
    {
        using var model = LlamaModel.Load(TestModels.Require("stories260K.gguf"), new ModelLoadOptions { Threads = 2 });
        IChatClient client = new FastInferChatClient(model);
        var response = await client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, "Tell me about Lily.")],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 12 });
        Assert.False(string.IsNullOrWhiteSpace(response.Text));
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(12, response.Usage!.OutputTokenCount);
        Assert.True(response.Usage.InputTokenCount > 5);
        Assert.Equal("stories260K", response.ModelId);
    }

    [SkippableFact]
    public async Task StreamingEqualsTheWholeResponseForTheSameSeed()
    {
        using var model = LlamaModel.Load(TestModels.Require("stories260K.gguf"), new ModelLoadOptions { Threads = 2 });
        IChatClient client = new FastInferChatClient(model);
        var options = new ChatOptions { Temperature = 0.8f, Seed = 3, MaxOutputTokens = 30 };
        var messages = new[] { new ChatMessage(ChatRole.User, "Once upon a time") };
        var whole = await client.GetResponseAsync(messages, options);
        var streamed = "";
        await foreach (var update in client.GetStreamingResponseAsync(messages, options))
            streamed += update.Text;
        Assert.Equal(whole.Text, streamed);
        Assert.NotNull(client.GetService<ChatClientMetadata>());
        Assert.Same(model, client.GetService<LlamaModel>());
    }
}
