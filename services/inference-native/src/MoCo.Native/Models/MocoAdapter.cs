using MoCo.Native.Interop;

namespace MoCo.Native.Models;

/// <summary>
/// A PEFT LoRA adapter bound to one <see cref="MocoModel"/> (<c>moco_adapter</c>), applied on the fly in
/// the forward: the base weights are shared, so any number of adapters per model cost only their own
/// tensors. Thread-safe; pass it per sequence in a <see cref="Inference.ForwardBatch"/>.
/// </summary>
/// <remarks>
/// The adapter keeps its model's native object alive; a forward call keeps the adapter alive while it runs,
/// so disposing during a forward defers the native destroy until that call returns.
/// </remarks>
public sealed class MocoAdapter : IDisposable
{
    // Set by Dispose. The handle alone cannot tell: while children hold references on it, SafeHandle keeps it
    // open (IsClosed false) until the last one is released.
    private int _disposed;

    private MocoAdapter(AdapterHandle handle, MocoModel model, string directory)
    {
        Handle = handle;
        Model = model;
        Directory = directory;
    }

    /// <summary>The model the adapter belongs to: a forward accepts it only in caches of that model.</summary>
    public MocoModel Model { get; }

    /// <summary>The adapter directory it was loaded from.</summary>
    public string Directory { get; }

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal AdapterHandle Handle { get; }

    /// <summary>
    /// Loads adapter_config.json + adapter_model.safetensors (PEFT LORA over q/k/v/o/gate/up/down_proj).
    /// </summary>
    /// <exception cref="MocoException">
    /// <see cref="MocoStatus.NotFound"/> (missing directory or files), <see cref="MocoStatus.InvalidArgument"/>
    /// (malformed or unsupported config), <see cref="MocoStatus.Io"/> (tensors that do not fit the model).
    /// </exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public static MocoAdapter Load(MocoModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfDisposed();
        Utf8Text.Validate(directory, nameof(directory));

        // Not a `using` local: that would be read-only, and TransferTo must clear this very copy.
        var modelRef = new ParentReference(model.Handle);
        try
        {
            var status = NativeMethods.moco_adapter_load(model.Handle, directory, out var handle);
            if (status != MocoStatus.Ok)
            {
                handle.Dispose();
                MocoException.ThrowIfFailed(status, "moco_adapter_load");
            }

            modelRef.TransferTo(handle);
            return new MocoAdapter(handle, model, directory);
        }
        finally
        {
            modelRef.Dispose();
        }
    }

    /// <summary>Releases the adapter (after any forward using it returns). Safe to call more than once.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Handle.Dispose();
        }
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once <see cref="Dispose"/> has run.</summary>
    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <inheritdoc />
    public override string ToString() => $"MocoAdapter({Directory})";
}
