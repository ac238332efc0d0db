using FastInfer.Engine;
using FastInfer.Engine.Models;
using FastInfer.Kernels.Ops;
using FastInfer.Lpu.Compiler;
using FastInfer.Lpu.Hardware;
using FastInfer.Lpu.Models;

namespace FastInfer.Lpu.Execution;

/// <summary>
/// The Lpu device on this CPU: a compiled <see cref="LpuProgram"/> run by one thread per chip, each touching only
/// its own weight tiles and KV-cache slices, in the program's order, meeting its peers only where the schedule has a
/// transfer. Its logits are bit-identical to the Engine's CPU path for every chip count and layout.
/// <code>
/// using var model = LlamaModel.Load(path, new ModelLoadOptions { Device = LpuDevice.Factory(chips: 2) });
/// </code>
/// </summary>
/// <remarks>Sessions of one device take turns: a token runs on all chips at once.</remarks>
public sealed class LpuDevice : IForwardDevice
{
    private readonly LlamaConfig _config;
    private readonly ChipOp[][] _plans;
    private readonly ChipMemory[] _memory;
    private readonly ChipLinks _links;
    private readonly TokenInput _input;
    private readonly ChipTeam _team;
    private readonly Lock _lock = new();
    private readonly int _maxContext;
    private bool _disposed;

    private LpuDevice(LlamaWeights weights, int maxContextLength, LpuProgram program)
    {
        program.EnsureFits();
        _config = weights.Config;
        _maxContext = maxContextLength;
        Program = program;
        var c = _config;
        PromptBatch = Math.Min(InferenceState.PrefillBatch, maxContextLength);
        _input = new TokenInput(PromptBatch);
        var rope = new RopeTable(c.HeadDimension, c.RotaryDimensions, maxContextLength, c.RopeTheta, c.RopeLayout);
        var fault = new ChipFault();
        _links = new ChipLinks(c.EmbeddingLength, c.HeadCount * c.HeadDimension, c.FeedForwardLength, c.ExpertCount, c.ExpertUsedCount,
            program.Stages.Count - 1, PromptBatch);
        _plans = ChipPlanBuilder.Build(program, weights, rope, _links, fault);
        _memory = _plans.Select(_ => new ChipMemory(c.EmbeddingLength, c.HeadCount * c.HeadDimension, c.FeedForwardLength, c.ExpertCount, c.ExpertUsedCount, PromptBatch)).ToArray();
        _team = new ChipTeam(_plans.Length, RunChip, fault);
    }

    /// <summary>The program the chips run.</summary>
    public LpuProgram Program { get; }

    public string Name => "lpu";

    /// <summary>Per-token times of the worker chips for a benchmark (<see cref="ChipClock"/>); null (the default) for none.
    /// Set only while no token runs.</summary>
    internal ChipClock? ChipClock
    {
        get => _team.Clock;
        set => _team.Clock = value;
    }

    public int Chips => _plans.Length;

    /// <summary>Most prompt tokens one pass carries: the Engine's prefill batch, or the context if shorter.</summary>
    public int PromptBatch { get; }

    /// <summary>
    /// For <see cref="ModelLoadOptions.Device"/>: compiles the loaded model for <paramref name="chips"/> cores of this
    /// machine (default: all) and runs it there.
    /// </summary>
    /// <param name="stageWidth">Chips per pipeline stage (default: the compiler's fastest layout).</param>
    public static Func<LlamaModel, IForwardDevice> Factory(int? chips = null, int? stageWidth = null) =>
        model => Create(model, chips, stageWidth);

    public static LpuDevice Create(LlamaModel model, int? chips = null, int? stageWidth = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var shape = ModelShapeReader.FromWeights(model.Weights, model.MaxContextLength, System.IO.Path.GetFileNameWithoutExtension(model.Path));
        var spec = ThisCpu.DeviceSpec(shape, chips ?? Environment.ProcessorCount);
        return Create(model.Weights, model.MaxContextLength, LpuCompiler.Compile(shape, spec, stageWidth: stageWidth));
    }

    /// <summary>Runs <paramref name="program"/>, which must have been compiled from the shape of <paramref name="weights"/>.</summary>
    public static LpuDevice Create(LlamaWeights weights, int maxContextLength, LpuProgram program)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(program);
        var c = weights.Config;
        var s = program.Shape;
        if (s.Layers != c.BlockCount || s.Embedding != c.EmbeddingLength || s.FeedForward != c.FeedForwardLength || s.Heads != c.HeadCount
            || s.KvHeads != c.KvHeadCount || s.Vocabulary != c.VocabularySize || s.Experts != c.ExpertCount || s.TiedEmbeddings != weights.TiedOutput)
            throw new ArgumentException($"the program was compiled for {s.Name}, whose shape differs from the model's weights", nameof(program));
        if (maxContextLength < 1)
            throw new ArgumentOutOfRangeException(nameof(maxContextLength), $"context length must be positive, got {maxContextLength}");
        return new LpuDevice(weights, maxContextLength, program);
    }

    public IForwardDeviceSession CreateSession(int contextLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (contextLength < 1 || contextLength > _maxContext)
            throw new ArgumentOutOfRangeException(nameof(contextLength), $"a session's context must be between 1 and {_maxContext} tokens, got {contextLength}");
        return new LpuDeviceSession(this, Program, contextLength);
    }

    internal float[] Forward(LpuDeviceSession session, int token, int position)
    {
        if ((uint)token >= (uint)_config.VocabularySize)
            throw new ArgumentOutOfRangeException(nameof(token), $"token id {token} is outside the vocabulary of {_config.VocabularySize}");
        if ((uint)position >= (uint)session.ContextLength)
            throw new ArgumentOutOfRangeException(nameof(position), $"position {position} is past the context of {session.ContextLength} tokens");
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _input.Tokens[0] = token;
            return RunPass(session, 1, position, prompt: false);
        }
    }

    /// <summary>
    /// A prompt in passes of the Engine's prefill batch (<see cref="InferenceState.PrefillBatch"/>, or the session's
    /// context if shorter), cut at the same tokens as the Engine cuts it, so every pass runs the kernels the Engine
    /// runs on the same values. Returns the logits after the last token.
    /// </summary>
    internal float[] Prefill(LpuDeviceSession session, ReadOnlySpan<int> tokens, int start, CancellationToken cancellationToken)
    {
        if (tokens.IsEmpty)
            throw new ArgumentException("prefill needs at least one token", nameof(tokens));
        if (start < 0 || start + tokens.Length > session.ContextLength)
            throw new ArgumentOutOfRangeException(nameof(tokens), $"positions [{start}, {start + tokens.Length}) do not fit the context of {session.ContextLength} tokens");
        foreach (int token in tokens)
        {
            if ((uint)token >= (uint)_config.VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {token} is outside the vocabulary of {_config.VocabularySize}");
        }
        int batch = Math.Min(PromptBatch, session.ContextLength);
        float[] logits = session.Logits;
        for (int done = 0; done < tokens.Length;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(batch, tokens.Length - done);
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                tokens.Slice(done, count).CopyTo(_input.Tokens);
                logits = RunPass(session, count, start + done, prompt: true);
            }
            done += count;
        }
        return logits;
    }

    /// <summary>Runs one pass on every chip with the session's caches; the caller holds the lock and set the tokens.</summary>
    private float[] RunPass(LpuDeviceSession session, int count, int position, bool prompt)
    {
        _input.Count = count;
        _input.Position = position;
        _input.Prompt = prompt;
        _input.Logits = session.Logits;
        for (int chip = 0; chip < _memory.Length; chip++)
            _memory[chip].Cache = session.Caches[chip];
        _team.RunToken();
        return session.Logits;
    }

    private void RunChip(int chip)
    {
        var memory = _memory[chip];
        foreach (var op in _plans[chip])
            op.Run(memory, _input);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            _team.Dispose();
        }
    }
}
