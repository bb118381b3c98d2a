using System.Buffers;
using MoCo.Native.Interop;
using MoCo.Native.Kernels;
using MoCo.Native.Models;

namespace MoCo.Native.Inference;

/// <summary>
/// The entries of one <see cref="MocoKvCache.Forward"/> or <see cref="MocoKvCache.ForwardSample"/> call
/// (<c>moco_batch_entry[]</c>, with a <c>moco_sample_request</c> per entry for the latter), built by a scheduler
/// each step and reused: <see cref="Clear"/> keeps the scratch arrays, so a steady-state step allocates
/// nothing. Tokens and output buffers are the caller's; they are pinned once per forward call and must not be
/// resized or reused by another thread until it returns.
/// </summary>
/// <remarks>Not thread-safe: one builder per scheduling thread.</remarks>
public sealed unsafe class ForwardBatch
{
    private Entry[] _entries;
    private NativeBatchEntry[] _native;
    private NativeSampleRequest[] _requests;
    private MemoryHandle[] _pins;
    private bool[] _adapterRefs;

    /// <summary>Creates a builder with room for <paramref name="capacity"/> entries before it grows.</summary>
    public ForwardBatch(int capacity = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _entries = new Entry[capacity];
        _native = new NativeBatchEntry[capacity];
        _requests = new NativeSampleRequest[capacity];
        _pins = new MemoryHandle[capacity * PinsPerEntry];
        _adapterRefs = new bool[capacity];
    }

    private const int PinsPerEntry = 5;

    /// <summary>Entries added since the last <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>True when an entry carries a <see cref="SampleRequest"/>: the batch runs with <see cref="MocoKvCache.ForwardSample"/>.</summary>
    public bool HasDraws { get; private set; }

    /// <summary>Forgets every entry (and the references to the caller's buffers); keeps the capacity.</summary>
    public void Clear()
    {
        Array.Clear(_entries, 0, Count);
        Count = 0;
        HasDraws = false;
    }

    /// <summary>
    /// Appends <paramref name="tokens"/> to <paramref name="sequence"/> in the next forward: a prefill chunk or
    /// one decode token. Each sequence may appear at most once per call.
    /// </summary>
    /// <param name="sequence">A live sequence id of the cache the batch runs on.</param>
    /// <param name="tokens">At least one token id, each below the model's vocabulary size.</param>
    /// <param name="logitsMode">Which positions get logits.</param>
    /// <param name="logits">
    /// Receives rows * output_size floats, row-major (rows = 1 for <see cref="OutputMode.Last"/>, the token count
    /// for <see cref="OutputMode.All"/>); may be empty for <see cref="OutputMode.None"/>.
    /// </param>
    /// <param name="adapter">A LoRA adapter of the cache's model, or null for the base model.</param>
    /// <param name="hiddenMode">Which positions get the final-norm hidden states.</param>
    /// <param name="hidden">Receives rows * hidden_size floats; may be empty for <see cref="OutputMode.None"/>.</param>
    /// <param name="attendPrefix">
    /// 0 for causal attention. n &gt; 0: every new token attends only to the sequence's first n positions - the
    /// padding positions of an HF attention_mask whose text is those n tokens; their K/V are still stored and
    /// positions still advance. At most the sequence's length before the call (the native call checks that
    /// and the sliding window).
    /// </param>
    /// <param name="draw">
    /// Null, or the next-token draw from the entry's last new position (<see cref="MocoKvCache.ForwardSample"/> only).
    /// </param>
    public void Add(
        int sequence,
        ReadOnlyMemory<int> tokens,
        OutputMode logitsMode,
        Memory<float> logits,
        MocoAdapter? adapter = null,
        OutputMode hiddenMode = OutputMode.None,
        Memory<float> hidden = default,
        int attendPrefix = 0,
        SampleRequest? draw = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        ArgumentOutOfRangeException.ThrowIfNegative(attendPrefix);
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("a batch entry needs at least one new token", nameof(tokens));
        }

        CheckMode(logitsMode, nameof(logitsMode));
        CheckMode(hiddenMode, nameof(hiddenMode));
        if (Count == _entries.Length)
        {
            Grow();
        }

        _entries[Count++] = new Entry(sequence, tokens, adapter, logitsMode, logits, hiddenMode, hidden, attendPrefix, draw);
        HasDraws |= draw is not null;
    }

    /// <summary>
    /// Runs the batch on <paramref name="cache"/>: <c>moco_forward</c> unless <paramref name="sample"/> (see
    /// <see cref="MocoKvCache.Forward"/>), else <c>moco_forward_sample</c> writing entry i's token (or -1) to
    /// drawn[i] (see <see cref="MocoKvCache.ForwardSample"/>).
    /// </summary>
    internal void Run(MocoKvCache cache, bool sample, Span<int> drawn)
    {
        if (Count == 0)
        {
            throw new ArgumentException("the batch is empty; Add at least one entry", "batch");
        }

        Validate(cache, sample);
        if (sample)
        {
            SpanChecks.AtLeast(drawn.Length, Count, "tokens", "one token per batch entry");
        }

        var pinned = 0;
        try
        {
            for (var i = 0; i < Count; i++)
            {
                ref readonly var e = ref _entries[i];
                // Keeps the adapter's native object alive during the call; throws ObjectDisposedException
                // for a disposed adapter.
                e.Adapter?.Handle.DangerousAddRef(ref _adapterRefs[i]);
                _pins[pinned++] = e.Tokens.Pin();
                _pins[pinned++] = e.LogitsMode == OutputMode.None ? default : e.Logits.Pin();
                _pins[pinned++] = e.HiddenMode == OutputMode.None ? default : e.Hidden.Pin();
                _native[i] = new NativeBatchEntry
                {
                    Seq = e.Sequence,
                    Tokens = (int*)_pins[pinned - 3].Pointer,
                    NTokens = e.Tokens.Length,
                    Adapter = e.Adapter is null ? IntPtr.Zero : e.Adapter.Handle.DangerousGetHandle(),
                    LogitsMode = (int)e.LogitsMode,
                    Logits = (float*)_pins[pinned - 2].Pointer,
                    HiddenMode = (int)e.HiddenMode,
                    Hidden = (float*)_pins[pinned - 1].Pointer,
                    AttendPrefix = e.AttendPrefix,
                };
                if (sample)
                {
                    // An empty buffer is NULL to the native call, never a pointer into an empty slice.
                    var draw = e.Draw ?? default;
                    _pins[pinned++] = draw.History.IsEmpty ? default : draw.History.Pin();
                    _pins[pinned++] = draw.Processed.IsEmpty ? default : draw.Processed.Pin();
                    _requests[i] = Request(e.Draw, (int*)_pins[pinned - 2].Pointer, (float*)_pins[pinned - 1].Pointer);
                }
            }

            MocoStatus status;
            fixed (NativeBatchEntry* entries = _native)
            fixed (NativeSampleRequest* requests = _requests)
            fixed (int* tokens = drawn)
            {
                status = sample
                    ? NativeMethods.moco_forward_sample(cache.Handle, entries, Count, requests, tokens)
                    : NativeMethods.moco_forward(cache.Handle, entries, Count);
            }

            MocoException.ThrowIfFailed(status, sample ? "moco_forward_sample" : "moco_forward");
        }
        finally
        {
            for (var p = 0; p < pinned; p++)
            {
                _pins[p].Dispose();
                _pins[p] = default;
            }

            for (var i = 0; i < Count; i++)
            {
                if (_adapterRefs[i])
                {
                    _entries[i].Adapter!.Handle.DangerousRelease();
                    _adapterRefs[i] = false;
                }
            }
        }
    }

    private static NativeSampleRequest Request(SampleRequest? draw, int* history, float* processed)
    {
        if (draw is not { } d)
        {
            return new NativeSampleRequest { Options = Sampling.ToNative(null) };
        }

        return new NativeSampleRequest
        {
            Draw = 1,
            Options = Sampling.ToNative(d.Options),
            History = history,
            NHistory = d.History.Length,
            Seed = d.Seed,
            TokensGenerated = d.TokensGenerated,
            SampleIndex = d.SampleIndex,
            Processed = processed,
        };
    }

    private void Validate(MocoKvCache cache, bool sampling)
    {
        var info = cache.ModelInfo;
        for (var i = 0; i < Count; i++)
        {
            ref readonly var e = ref _entries[i];
            if (e.Draw is { } draw)
            {
                if (!sampling)
                {
                    throw new ArgumentException(
                        $"entry {i} (sequence {e.Sequence}) carries a SampleRequest; run the batch with MocoKvCache.ForwardSample", "batch");
                }

                if (!draw.Processed.IsEmpty && draw.Processed.Length < info.OutputSize)
                {
                    throw new ArgumentException(
                        $"entry {i} (sequence {e.Sequence}): processed holds {draw.Processed.Length} floats but the model's output_size is {info.OutputSize}; pass empty or a full row",
                        "batch");
                }
            }

            e.Adapter?.ThrowIfDisposed();
            if (e.Adapter is not null && e.Adapter.Model.Handle != cache.ModelHandle)
            {
                throw new ArgumentException(
                    $"entry {i} (sequence {e.Sequence}): the adapter {e.Adapter.Directory} belongs to {e.Adapter.Model.Directory}, not to the cache's model",
                    "batch");
            }

            CheckBuffer(i, e, "logits", e.LogitsMode, e.Logits.Length, info.OutputSize);
            CheckBuffer(i, e, "hidden", e.HiddenMode, e.Hidden.Length, info.HiddenSize);
        }
    }

    private static void CheckBuffer(int index, in Entry e, string name, OutputMode mode, int length, int width)
    {
        var rows = mode switch
        {
            OutputMode.Last => 1L,
            OutputMode.All => e.Tokens.Length,
            _ => 0L,
        };
        if (length < rows * width)
        {
            throw new ArgumentException(
                $"entry {index} (sequence {e.Sequence}): {name} holds {length} floats but {mode} over {e.Tokens.Length} tokens needs {rows} x {width} = {rows * width}",
                "batch");
        }
    }

    private static void CheckMode(OutputMode mode, string parameter)
    {
        if (mode is not (OutputMode.None or OutputMode.Last or OutputMode.All))
        {
            throw new ArgumentOutOfRangeException(parameter, mode, "not an OutputMode");
        }
    }

    private void Grow()
    {
        var capacity = _entries.Length * 2;
        Array.Resize(ref _entries, capacity);
        Array.Resize(ref _native, capacity);
        Array.Resize(ref _requests, capacity);
        Array.Resize(ref _pins, capacity * PinsPerEntry);
        Array.Resize(ref _adapterRefs, capacity);
    }

    private readonly record struct Entry(
        int Sequence,
        ReadOnlyMemory<int> Tokens,
        MocoAdapter? Adapter,
        OutputMode LogitsMode,
        Memory<float> Logits,
        OutputMode HiddenMode,
        Memory<float> Hidden,
        int AttendPrefix,
        SampleRequest? Draw);
}
