using System.Text;

namespace MoCo.Evaluator.Sandbox;

/// <summary>
/// Reads a program's output stream to its end while keeping only its last <see cref="TailBytes"/>, so a program
/// printing gigabytes costs no memory and never blocks on a full pipe; past <c>cap</c> bytes it signals
/// <see cref="Overflowed"/>. Marker strings are looked for in the whole stream, across read boundaries.
/// </summary>
public sealed class BoundedCapture
{
    /// <summary>Bytes of the end of the stream always kept (the stderr tail of evaluation.md §5.1 is 2 KiB).</summary>
    public const int TailBytes = 4096;

    private readonly int _cap;
    private readonly byte[] _tail = new byte[TailBytes];
    private readonly byte[][] _needles;
    private readonly bool[] _seen;
    private readonly int _overlap;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _overflow = new();
    private byte[] _carry = [];
    private long _tailWritten;
    private bool _frozen;

    /// <summary>Allows <paramref name="cap"/> bytes and watches for <paramref name="needles"/>.</summary>
    public BoundedCapture(int cap, params string[] needles)
    {
        _cap = cap;
        _needles = [.. needles.Select(Encoding.UTF8.GetBytes)];
        _seen = new bool[needles.Length];
        _overlap = Math.Max(0, _needles.Select(n => n.Length).DefaultIfEmpty(1).Max() - 1);
    }

    /// <summary>Bytes read in all.</summary>
    public long Total { get; private set; }

    /// <summary>Fires once the stream exceeds the cap, so the caller can stop a program that floods its output.</summary>
    public CancellationToken Overflowed => _overflow.Token;

    /// <summary>Whether the stream passed the cap.</summary>
    public bool Truncated
    {
        get
        {
            lock (_gate)
            {
                return Total > _cap;
            }
        }
    }

    /// <summary>Reads <paramref name="stream"/> until it ends or <paramref name="cancellationToken"/> fires.</summary>
    public async Task ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            Add(buffer.AsSpan(0, read));
        }
    }

    /// <summary>Ignores whatever a reader still adds: the result is read while an abandoned reader may still be
    /// blocked on a pipe that an escaped background process holds open.</summary>
    public void Freeze()
    {
        lock (_gate)
        {
            _frozen = true;
        }
    }

    /// <summary>Whether needle <paramref name="index"/> occurred anywhere in the stream.</summary>
    public bool Saw(int index)
    {
        lock (_gate)
        {
            return _seen[index];
        }
    }

    /// <summary>What is kept once the program has ended.</summary>
    public CapturedOutput Snapshot()
    {
        lock (_gate)
        {
            return new CapturedOutput(TailLocked(TailBytes), Total > _cap, [.. _seen]);
        }
    }

    /// <summary>The last <paramref name="bytes"/> bytes (at most <see cref="TailBytes"/>) as text, starting at a
    /// character boundary.</summary>
    public string Tail(int bytes)
    {
        lock (_gate)
        {
            return TailLocked(bytes);
        }
    }

    private string TailLocked(int bytes)
    {
        var n = (int)Math.Min(Math.Min(bytes, TailBytes), Total);
        var last = new byte[n];
        for (var i = 0; i < n; i++)
        {
            last[i] = _tail[(_tailWritten - n + i) % TailBytes];
        }
        var skip = 0;
        while (skip < n && (last[skip] & 0xC0) == 0x80)
        {
            skip++; // a continuation byte: the character started before the tail
        }
        return Encoding.UTF8.GetString(last, skip, n - skip);
    }

    private void Add(ReadOnlySpan<byte> chunk)
    {
        lock (_gate)
        {
            if (!_frozen)
            {
                AddLocked(chunk);
            }
        }
    }

    private void AddLocked(ReadOnlySpan<byte> chunk)
    {
        // Only a chunk's last TailBytes can survive in the ring.
        var kept = chunk.Length > TailBytes ? chunk[^TailBytes..] : chunk;
        _tailWritten += chunk.Length - kept.Length;
        foreach (var b in kept)
        {
            _tail[_tailWritten++ % TailBytes] = b;
        }
        Total += chunk.Length;
        if (Total > _cap && !_overflow.IsCancellationRequested)
        {
            _overflow.Cancel();
        }
        if (_needles.Length > 0)
        {
            var window = new byte[_carry.Length + chunk.Length];
            _carry.CopyTo(window, 0);
            chunk.CopyTo(window.AsSpan(_carry.Length));
            for (var i = 0; i < _needles.Length; i++)
            {
                _seen[i] |= window.AsSpan().IndexOf(_needles[i]) >= 0;
            }
            _carry = window[Math.Max(0, window.Length - _overlap)..];
        }
    }
}
