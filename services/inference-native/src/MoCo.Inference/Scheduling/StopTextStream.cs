using System.Text;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// A sample's output text as it streams: takes the decoder's pieces (whole characters only), finds the first stop
/// string, and releases only text that cannot be the start of one, so the streamed deltas always add up to the final
/// text (the match cut unless include_stop).
/// </summary>
internal sealed class StopTextStream(IReadOnlyList<string> stops, bool includeStop)
{
    private readonly StringBuilder _text = new();
    private readonly int _longest = stops.Count == 0 ? 0 : stops.Max(s => s.Length);
    private int _emitted;
    private int _end = -1;

    /// <summary>The stop string that matched, or null.</summary>
    public string? Match { get; private set; }

    /// <summary>The output text so far, cut at the match once there is one.</summary>
    public string Text => _end < 0 ? _text.ToString() : _text.ToString(0, _end);

    /// <summary>Adds <paramref name="piece"/>; returns the text that may be streamed now.</summary>
    public string Append(string piece)
    {
        if (Match is not null || piece.Length == 0)
        {
            return "";
        }
        // A match can only end inside the new piece, so it starts at most longest-1 characters before it.
        var from = Math.Max(0, _text.Length - Math.Max(_longest - 1, 0));
        _text.Append(piece);
        if (FirstMatch(from) is var (index, stop))
        {
            Match = stop;
            _end = index + (includeStop ? stop.Length : 0);
            return Release(_end);
        }
        return Release(_text.Length - HeldSuffix());
    }

    /// <summary>Ends the stream: everything not yet released (no stop string can complete any more).</summary>
    public string Finish() => Release(_end < 0 ? _text.Length : _end);

    private string Release(int upTo)
    {
        if (upTo <= _emitted)
        {
            return "";
        }
        var released = _text.ToString(_emitted, upTo - _emitted);
        _emitted = upTo;
        return released;
    }

    private (int Index, string Stop)? FirstMatch(int from)
    {
        var text = _text.ToString();
        (int Index, string Stop)? best = null;
        foreach (var stop in stops)
        {
            var i = text.IndexOf(stop, from, StringComparison.Ordinal);
            if (i >= 0 && (best is null || i < best.Value.Index))
            {
                best = (i, stop);
            }
        }
        return best;
    }

    // The longest end of the text that some stop string starts with: it may still grow into a match.
    private int HeldSuffix()
    {
        var held = 0;
        foreach (var stop in stops)
        {
            for (var k = Math.Min(stop.Length - 1, _text.Length); k > held; k--)
            {
                if (EndsWith(stop.AsSpan(0, k)))
                {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }

    private bool EndsWith(ReadOnlySpan<char> value)
    {
        var start = _text.Length - value.Length;
        for (var i = 0; i < value.Length; i++)
        {
            if (_text[start + i] != value[i])
            {
                return false;
            }
        }
        return true;
    }
}
