using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastInfer.Engine.Models;
using FastInfer.Engine.Sampling;
using FastInfer.Engine.Tokenizers;

namespace FastInfer.Engine.Generation;

/// <summary>
/// One conversation with a model: its own KV cache, so each call continues where the last one ended
/// (a chat). Create with <see cref="LlamaModel.CreateSession"/>.
/// </summary>
/// <remarks>
/// Not thread-safe: use a session from one thread at a time. Sessions of the same model may be used
/// from different threads; their forward passes take turns on the model's compute threads.
/// Dispose releases the KV cache.
/// </remarks>
public sealed class InferenceSession : IDisposable
{
    private readonly LlamaModel _model;
    private readonly InferenceState _state;
    // Set when the model runs on another device: its session replaces the CPU state's forward pass.
    private readonly IForwardDeviceSession? _device;
    private readonly List<int> _tokens;
    private ITokenStreamDecoder _decoder;
    // A token chosen at the end of the last call but not yet run through the model.
    private int? _unprocessedToken;
    private bool _disposed;

    internal InferenceSession(LlamaModel model, int contextLength)
    {
        _model = model;
        _device = model.Device?.CreateSession(contextLength);
        // A device keeps its own KV cache, so the CPU state only needs room for its scratch buffers.
        _state = model.Transformer.CreateState(_device is null ? contextLength : 1);
        ContextLength = contextLength;
        _tokens = new List<int>(contextLength);
        _decoder = model.Tokenizer.CreateStreamDecoder();
    }

    /// <summary>Tokens in the context so far (prompts and generated text).</summary>
    public IReadOnlyList<int> Tokens => _tokens;

    /// <summary>Positions already filled in the KV cache.</summary>
    public int Position { get; private set; }

    public int ContextLength { get; }

    /// <summary>Counts and timings of the last generation call.</summary>
    public GenerationStats? LastStats { get; private set; }

    /// <summary>Forgets the conversation; the next prompt starts a fresh context.</summary>
    public void Reset()
    {
        _tokens.Clear();
        Position = 0;
        _unprocessedToken = null;
        _decoder = _model.Tokenizer.CreateStreamDecoder();
    }

    /// <summary>Streams the text generated after <paramref name="prompt"/>, piece by piece.</summary>
    public async IAsyncEnumerable<string> GenerateAsync(string prompt, GenerationSettings? settings = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The work is CPU-bound; yielding once lets an async caller's context continue before it starts.
        await Task.Yield();
        foreach (var piece in Generate(prompt, settings, cancellationToken))
            yield return piece;
    }

    /// <summary>Generates after <paramref name="prompt"/>, yielding each piece of text as soon as it is complete.</summary>
    public IEnumerable<string> Generate(string prompt, GenerationSettings? settings = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(prompt);
        settings ??= new GenerationSettings();
        settings.Validate();

        var promptTokens = new List<int>();
        if (_unprocessedToken is { } pending)
            promptTokens.Add(pending);
        promptTokens.AddRange(_model.Tokenizer.Encode(prompt, addBos: settings.AddBos && Position == 0 && _tokens.Count == 0,
            parseSpecialTokens: settings.ParseSpecialTokens));
        if (promptTokens.Count == 0)
            throw new ArgumentException("the prompt is empty and there is no earlier context to continue from", nameof(prompt));
        if (Position + promptTokens.Count > ContextLength)
            throw new ContextLengthExceededException(promptTokens.Count, Position, ContextLength);
        return Run(promptTokens, settings, cancellationToken);
    }

    private IEnumerable<string> Run(List<int> promptTokens, GenerationSettings settings, CancellationToken cancellationToken)
    {
        var sampler = new Sampler(settings.Sampling, _model.Config.VocabularySize);
        var stops = new StopStringFilter(settings.StopStrings);
        var stopwatch = Stopwatch.StartNew();
        int skip = _unprocessedToken is null ? 0 : 1; // the pending token is already in _tokens and the decoder
        _unprocessedToken = null;
        for (int i = skip; i < promptTokens.Count; i++)
        {
            _tokens.Add(promptTokens[i]);
            _decoder.Append(promptTokens[i]); // the caller has the prompt text; this only primes the decoder
        }

        cancellationToken.ThrowIfCancellationRequested();
        float[] logits = promptTokens.Count == 1
            ? Forward(promptTokens[0])
            : Prefill(CollectionsMarshal.AsSpan(promptTokens), cancellationToken);
        var promptTime = stopwatch.Elapsed;
        stopwatch.Restart();

        int generated = 0;
        var reason = StopReason.None;
        while (reason == StopReason.None)
        {
            if (generated == settings.MaxTokens)
            {
                reason = StopReason.MaxTokens;
                break;
            }
            if (cancellationToken.IsCancellationRequested)
            {
                reason = StopReason.Cancelled;
                break;
            }
            int next = sampler.Sample(logits, CollectionsMarshal.AsSpan(_tokens));
            if (_model.Tokenizer.IsEndOfGeneration(next))
            {
                // Kept in the context (a chat continues after it) but not printed.
                _tokens.Add(next);
                _decoder.Append(next);
                _unprocessedToken = next;
                reason = StopReason.EndOfSequence;
                break;
            }
            _tokens.Add(next);
            generated++;
            string text = stops.Push(_decoder.Append(next));
            if (stops.Stopped)
                reason = StopReason.StopString;
            else if (Position == ContextLength)
                reason = StopReason.ContextFull;
            else if (generated < settings.MaxTokens)
                logits = Forward(next);
            else
                _unprocessedToken = next;

            if (reason == StopReason.StopString)
                _unprocessedToken = next;
            if (text.Length > 0)
            {
                stopwatch.Stop(); // what the caller does with the text (printing, streaming) is not generation time
                yield return text;
                stopwatch.Start();
            }
        }
        if (reason != StopReason.StopString)
        {
            string rest = stops.Flush();
            if (rest.Length > 0)
                yield return rest;
        }
        LastStats = new GenerationStats(promptTokens.Count, generated, promptTime, stopwatch.Elapsed, reason, sampler.Seed);
    }

    private float[] Prefill(ReadOnlySpan<int> tokens, CancellationToken cancellationToken)
    {
        var logits = _device?.Prefill(tokens, Position, cancellationToken) ?? _model.RunPrefill(_state, tokens, Position, cancellationToken);
        Position += tokens.Length;
        return logits;
    }

    private float[] Forward(int token)
    {
        var logits = _device?.Forward(token, Position) ?? _model.RunForward(_state, token, Position);
        Position++;
        return logits;
    }

    public void Dispose() => _disposed = true;
}
