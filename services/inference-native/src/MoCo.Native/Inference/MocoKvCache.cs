using MoCo.Native.Interop;
using MoCo.Native.Kernels;
using MoCo.Native.Models;

namespace MoCo.Native.Inference;

/// <summary>
/// A paged key/value cache of one model with a fixed memory budget (<c>moco_kv_cache</c>), holding the
/// sequences a scheduler decodes; sequences are small non-negative integer ids.
/// </summary>
/// <remarks>
/// NOT thread-safe (moco.h): one thread at a time may call a given cache, its sequences and its forward;
/// different caches, even of one model, may be used concurrently. The cache keeps its model's native object
/// alive, so it keeps working after the <see cref="MocoModel"/> is disposed, until the cache itself is.
/// </remarks>
public sealed unsafe class MocoKvCache : IDisposable
{
    private MocoKvCache(KvCacheHandle handle, MocoModel model)
    {
        Handle = handle;
        ModelHandle = model.Handle;
        ModelInfo = model.Info;
    }

    /// <summary>What the cache's model is: output and hidden widths size the forward's buffers.</summary>
    public ModelInfo ModelInfo { get; }

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => Handle.IsClosed;

    internal KvCacheHandle Handle { get; }

    internal ModelHandle ModelHandle { get; }

    /// <summary>
    /// Creates a cache for <paramref name="model"/>, allocating the whole budget now so running out shows here
    /// rather than mid-generation.
    /// </summary>
    /// <exception cref="MocoException">
    /// <see cref="MocoStatus.InvalidArgument"/> (bad options, a budget below one block),
    /// <see cref="MocoStatus.Unimplemented"/> (a model on a CUDA context), <see cref="MocoStatus.OutOfMemory"/>.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public static MocoKvCache Create(MocoModel model, KvCacheOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfDisposed();
        options ??= KvCacheOptions.Default;
        var native = NativeMethods.moco_kv_cache_default_options();
        native.StructSize = sizeof(NativeKvCacheOptions);
        native.MemoryBytes = options.MemoryBytes;
        native.BlockTokens = options.BlockTokens;
        native.MaxSequences = options.MaxSequences;

        // Not a `using` local: that would be read-only, and TransferTo must clear this very copy.
        var modelRef = new ParentReference(model.Handle);
        try
        {
            var status = NativeMethods.moco_kv_cache_create(model.Handle, &native, out var handle);
            if (status != MocoStatus.Ok)
            {
                handle.Dispose();
                MocoException.ThrowIfFailed(status, "moco_kv_cache_create");
            }

            modelRef.TransferTo(handle);
            return new MocoKvCache(handle, model);
        }
        finally
        {
            modelRef.Dispose();
        }
    }

    /// <summary>Current usage; blocks change with every forward, truncate and free.</summary>
    public KvCacheStats GetStats()
    {
        ThrowIfDisposed();
        var stats = new NativeKvCacheStats { StructSize = sizeof(NativeKvCacheStats) };
        MocoException.ThrowIfFailed(NativeMethods.moco_kv_cache_get_stats(Handle, &stats), "moco_kv_cache_get_stats");
        return new KvCacheStats(stats.BlockTokens, stats.TotalBlocks, stats.FreeBlocks, stats.Sequences, stats.MemoryBytes);
    }

    /// <summary>Creates an empty sequence and returns its id (the lowest one not live).</summary>
    /// <exception cref="MocoException"><see cref="MocoStatus.ResourceExhausted"/> when max_sequences are live.</exception>
    public int CreateSequence()
    {
        ThrowIfDisposed();
        MocoException.ThrowIfFailed(NativeMethods.moco_seq_create(Handle, out var seq), "moco_seq_create");
        return seq;
    }

    /// <summary>
    /// A new sequence sharing <paramref name="source"/>'s tokens and KV blocks copy-on-write (n samples of one
    /// prompt prefill it once); returns the new id.
    /// </summary>
    /// <exception cref="MocoException"><see cref="MocoStatus.NotFound"/> for an unknown source; as <see cref="CreateSequence"/>.</exception>
    public int Fork(int source)
    {
        ThrowIfDisposed();
        MocoException.ThrowIfFailed(NativeMethods.moco_seq_fork(Handle, source, out var seq), "moco_seq_fork");
        return seq;
    }

    /// <summary>Keeps the first <paramref name="length"/> tokens of <paramref name="sequence"/>, returning the rest's blocks.</summary>
    /// <exception cref="MocoException"><see cref="MocoStatus.NotFound"/>, or <see cref="MocoStatus.InvalidArgument"/> for a length beyond the sequence.</exception>
    public void Truncate(int sequence, int length)
    {
        ThrowIfDisposed();
        MocoException.ThrowIfFailed(NativeMethods.moco_seq_truncate(Handle, sequence, length), "moco_seq_truncate");
    }

    /// <summary>Frees <paramref name="sequence"/> and its blocks; the id may be handed out again.</summary>
    public void Free(int sequence)
    {
        ThrowIfDisposed();
        MocoException.ThrowIfFailed(NativeMethods.moco_seq_free(Handle, sequence), "moco_seq_free");
    }

    /// <summary>Tokens stored for <paramref name="sequence"/>.</summary>
    public int Length(int sequence)
    {
        ThrowIfDisposed();
        MocoException.ThrowIfFailed(NativeMethods.moco_seq_length(Handle, sequence, out var length), "moco_seq_length");
        return length;
    }

    /// <summary>
    /// Runs the model over every entry of <paramref name="batch"/> (prefill and decode mixed). Deterministic on
    /// the CPU: a sequence's outputs are bit-identical whatever else is in the batch, the chunking and the
    /// thread count. All or nothing: on failure no sequence changes and the output buffers are unspecified.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// An empty batch, an output buffer too short for its mode, or an adapter of another model (checked before
    /// native code runs).
    /// </exception>
    /// <exception cref="MocoException">
    /// <see cref="MocoStatus.ResourceExhausted"/> (too few free KV blocks; the message gives needed and free),
    /// <see cref="MocoStatus.NotFound"/> (unknown sequence), <see cref="MocoStatus.InvalidArgument"/> (a token
    /// id out of range, a sequence twice, beyond max_position_embeddings), <see cref="MocoStatus.Numeric"/>.
    /// </exception>
    public void Forward(ForwardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfDisposed();
        batch.Run(this, sample: false, default);
    }

    /// <summary>
    /// <see cref="Forward"/>, then tokens[i] = the token <see cref="Sampling.Sample"/> picks from entry i's last new
    /// position with its <see cref="SampleRequest"/> (-1 for an entry without one), in one native call
    /// (<c>moco_forward_sample</c>): on a CUDA context the draw runs on the device and only the tokens (and the
    /// processed rows asked for) come back. Entries' logits and hidden outputs work as in <see cref="Forward"/>; the
    /// model must be a causal LM. On the CPU the tokens are <see cref="Sampling.Sample"/>'s exactly.
    /// All or nothing: if a draw fails no sequence changes.
    /// </summary>
    /// <param name="batch">The entries; those with a draw carry a <see cref="SampleRequest"/>.</param>
    /// <param name="tokens">At least <see cref="ForwardBatch.Count"/> ids; receives one per entry.</param>
    /// <exception cref="ArgumentException">As <see cref="Forward"/>, a processed buffer shorter than the output size, or too few tokens.</exception>
    /// <exception cref="MocoException">
    /// As <see cref="Forward"/>; <see cref="MocoStatus.InvalidArgument"/> for a request out of range (the message names
    /// requests[i]) or a sequence classifier; <see cref="MocoStatus.Numeric"/> for a draw over non-finite logits.
    /// </exception>
    public void ForwardSample(ForwardBatch batch, Span<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfDisposed();
        batch.Run(this, sample: true, tokens);
    }

    /// <summary>Destroys the cache and every sequence in it. Safe to call more than once.</summary>
    public void Dispose() => Handle.Dispose();

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
}
