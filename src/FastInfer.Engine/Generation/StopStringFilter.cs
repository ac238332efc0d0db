using System.Text;

namespace FastInfer.Engine.Generation;

/// <summary>
/// Streams text while watching for stop strings: text that could still turn out to be the start of a
/// stop string is held back until it is either completed (generation ends before it) or ruled out.
/// </summary>
internal sealed class StopStringFilter
{
    private readonly IReadOnlyList<string> _stops;
    private readonly StringBuilder _pending = new();

    public StopStringFilter(IReadOnlyList<string> stops) => _stops = stops;

    public bool Stopped { get; private set; }

    /// <summary>Adds a piece; returns the text now safe to emit (possibly empty).</summary>
    public string Push(string piece)
    {
        if (_stops.Count == 0)
            return piece;
        _pending.Append(piece);
        string text = _pending.ToString();
        int stopAt = -1;
        foreach (var stop in _stops)
        {
            int at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (stopAt < 0 || at < stopAt))
                stopAt = at;
        }
        if (stopAt >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return text[..stopAt];
        }
        int hold = LongestSuffixThatStartsAStop(text);
        _pending.Clear().Append(text, text.Length - hold, hold);
        return text[..^hold];
    }

    /// <summary>Whatever is still held when generation ends for another reason.</summary>
    public string Flush()
    {
        string text = _pending.ToString();
        _pending.Clear();
        return text;
    }

    private int LongestSuffixThatStartsAStop(string text)
    {
        int best = 0;
        foreach (var stop in _stops)
        {
            for (int length = Math.Min(stop.Length - 1, text.Length); length > best; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    best = length;
                    break;
                }
            }
        }
        return best;
    }
}
