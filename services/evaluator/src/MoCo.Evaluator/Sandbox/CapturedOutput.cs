using System.Text;

namespace MoCo.Evaluator.Sandbox;

/// <summary>What is kept of a finished program's stdout or stderr: its last <see cref="BoundedCapture.TailBytes"/>
/// bytes, whether it passed the cap, and which marker strings occurred in it. The same from a local run and from
/// the sandbox service's reply.</summary>
/// <param name="Last">The last bytes as text, from a character boundary.</param>
/// <param name="Truncated">Bytes beyond the cap were discarded.</param>
/// <param name="Seen">Per marker, in order: whether it occurred anywhere in the stream.</param>
public sealed record CapturedOutput(string Last, bool Truncated, IReadOnlyList<bool> Seen)
{
    /// <summary>Whether marker <paramref name="index"/> occurred.</summary>
    public bool Saw(int index) => Seen[index];

    /// <summary>The last <paramref name="bytes"/> bytes (at most what <see cref="Last"/> holds) as text, from a
    /// character boundary.</summary>
    public string Tail(int bytes)
    {
        var utf8 = Encoding.UTF8.GetBytes(Last);
        var skip = Math.Max(0, utf8.Length - bytes);
        while (skip < utf8.Length && (utf8[skip] & 0xC0) == 0x80)
        {
            skip++; // a continuation byte: the character started before the tail
        }
        return Encoding.UTF8.GetString(utf8, skip, utf8.Length - skip);
    }
}
