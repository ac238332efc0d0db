using System.Runtime.CompilerServices;
using System.Text;
using FastInfer.Engine.Generation;
using FastInfer.Engine.Sampling;
using Microsoft.Extensions.AI;

namespace FastInfer.Engine.Chat;

/// <summary>
/// <see cref="IChatClient"/> over a loaded model, so apps written against Microsoft.Extensions.AI run
/// locally unchanged. Each call renders the whole conversation with the model's chat template in a
/// fresh session (the messages are the state, as with a hosted API).
/// </summary>
/// <remarks>
/// Thread-safe: concurrent calls each get their own session; their forward passes take turns.
/// Disposing the client does not dispose the model, which the caller owns.
/// </remarks>
public sealed class FastInferChatClient : IChatClient
{
    private readonly LlamaModel _model;
    private readonly ChatClientMetadata _metadata;

    public FastInferChatClient(LlamaModel model, ChatTemplate? template = null, string? modelId = null)
    {
        _model = model;
        Template = template ?? model.ChatTemplate;
        ModelId = modelId ?? Path.GetFileNameWithoutExtension(model.Path);
        _metadata = new ChatClientMetadata("fastinfer", null, ModelId);
    }

    public ChatTemplate Template { get; }
    public string ModelId { get; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        UsageDetails? usage = null;
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            text.Append(update.Text);
            finish = update.FinishReason ?? finish;
            foreach (var content in update.Contents.OfType<UsageContent>())
                usage = content.Details;
        }
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
        {
            FinishReason = finish,
            Usage = usage,
            ModelId = ModelId,
            CreatedAt = DateTimeOffset.UtcNow,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var settings = ToSettings(options);
        var rendered = Template.Render(messages.Select(m => (m.Role.Value, m.Text)).ToList());
        using var session = _model.CreateSession();
        string responseId = Guid.NewGuid().ToString("N");
        await foreach (var piece in session.GenerateAsync(rendered, settings, cancellationToken).ConfigureAwait(false))
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, piece) { ModelId = ModelId, ResponseId = responseId };
        }
        var stats = session.LastStats!;
        var final = new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails
        {
            InputTokenCount = stats.PromptTokens,
            OutputTokenCount = stats.GeneratedTokens,
            TotalTokenCount = stats.PromptTokens + stats.GeneratedTokens,
        })])
        {
            ModelId = ModelId,
            ResponseId = responseId,
            FinishReason = stats.StopReason == StopReason.MaxTokens || stats.StopReason == StopReason.ContextFull
                ? ChatFinishReason.Length
                : ChatFinishReason.Stop,
        };
        yield return final;
    }

    private GenerationSettings ToSettings(ChatOptions? options)
    {
        var defaults = new SamplingSettings();
        var sampling = new SamplingSettings
        {
            Temperature = options?.Temperature ?? defaults.Temperature,
            TopP = options?.TopP ?? defaults.TopP,
            TopK = options?.TopK ?? defaults.TopK,
            Seed = options?.Seed is { } seed ? unchecked((ulong)seed) : null,
            RepeatPenalty = options?.FrequencyPenalty is { } penalty ? 1 + penalty : defaults.RepeatPenalty,
        };
        var stops = new List<string>(Template.StopStrings);
        if (options?.StopSequences is { } extra)
            stops.AddRange(extra);
        return new GenerationSettings
        {
            MaxTokens = options?.MaxOutputTokens ?? 512,
            Sampling = sampling,
            StopStrings = stops,
            ParseSpecialTokens = true,
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
            return null;
        if (serviceType == typeof(ChatClientMetadata))
            return _metadata;
        if (serviceType.IsInstanceOfType(this))
            return this;
        if (serviceType.IsInstanceOfType(_model))
            return _model;
        return null;
    }

    public void Dispose()
    {
    }
}
