using System.Runtime.InteropServices;
using System.Text;
using MoCo.Native.Interop;

namespace MoCo.Native.Merge;

/// <summary>
/// A <see cref="MergeSpec"/> laid out as <c>moco_merge_spec</c> with its inputs, base and name in one block of
/// native memory, so nothing needs pinning while libmoco reads it. Checks what C# can check first (sizes,
/// dimension counts, NUL in the name); libmoco validates the rest.
/// </summary>
internal readonly unsafe struct NativeMergeSpecBuffer : IDisposable
{
    private NativeMergeSpecBuffer(NativeMergeSpec* spec) => Spec = spec;

    /// <summary>The native spec; valid until <see cref="Dispose"/>.</summary>
    public NativeMergeSpec* Spec { get; }

    public static NativeMergeSpecBuffer Create(MergeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Utf8Text.Validate(spec.TensorName, nameof(spec));
        ArgumentNullException.ThrowIfNull(spec.Inputs, nameof(spec));
        if (spec.Inputs.Count < 1)
        {
            throw new ArgumentException($"tensor \"{spec.TensorName}\": a merge needs at least one input", nameof(spec));
        }

        for (var i = 0; i < spec.Inputs.Count; i++)
        {
            CheckDesc(spec.Inputs[i]?.Tensor, spec.TensorName, $"input {i}");
        }

        if (spec.Base is not null)
        {
            CheckDesc(spec.Base, spec.TensorName, "the base");
        }

        var nameBytes = Encoding.UTF8.GetByteCount(spec.TensorName) + 1;
        var inputsOffset = Align(sizeof(NativeMergeSpec));
        var baseOffset = Align(inputsOffset + (spec.Inputs.Count * sizeof(NativeMergeInput)));
        var nameOffset = baseOffset + sizeof(NativeTensorDesc);
        var block = (byte*)NativeMemory.AllocZeroed((nuint)(nameOffset + nameBytes));

        var inputs = (NativeMergeInput*)(block + inputsOffset);
        for (var i = 0; i < spec.Inputs.Count; i++)
        {
            var input = spec.Inputs[i];
            inputs[i].Tensor = ToNative(input.Tensor);
            inputs[i].Weight = input.Weight;
            inputs[i].Density = input.Density;
            inputs[i].ModelIndex = input.ModelIndex;
        }

        NativeTensorDesc* baseDesc = null;
        if (spec.Base is not null)
        {
            baseDesc = (NativeTensorDesc*)(block + baseOffset);
            *baseDesc = ToNative(spec.Base);
        }

        var name = block + nameOffset;
        Encoding.UTF8.GetBytes(spec.TensorName, new Span<byte>(name, nameBytes - 1));

        var native = (NativeMergeSpec*)block;
        *native = NativeMethods.moco_merge_default_spec();
        native->StructSize = sizeof(NativeMergeSpec);
        native->Method = (int)spec.Method;
        native->TensorName = name;
        native->IsEmbedding = spec.IsEmbedding ? 1 : 0;
        native->NInputs = spec.Inputs.Count;
        native->Inputs = inputs;
        native->Base = baseDesc;
        native->OutDtype = (int)spec.OutputDtype;
        native->Normalize = spec.Normalize switch { null => -1, true => 1, false => 0 };
        native->Consensus = (int)spec.Consensus;
        native->Rescale = spec.Rescale is { } rescale ? (int)rescale : -1;
        native->Lambda = spec.Lambda;
        native->Alpha = spec.Alpha;
        native->T = spec.T;
        native->Seed = spec.Seed;
        return new NativeMergeSpecBuffer(native);
    }

    public void Dispose() => NativeMemory.Free(Spec);

    internal static TensorDesc FromNative(in NativeTensorDesc desc)
    {
        var shape = new long[desc.NDim];
        for (var d = 0; d < shape.Length; d++)
        {
            shape[d] = desc.Shape[d];
        }

        return new TensorDesc((MocoDtype)desc.Dtype, shape);
    }

    private static NativeTensorDesc ToNative(TensorDesc desc)
    {
        var native = new NativeTensorDesc { Dtype = (int)desc.Dtype, NDim = desc.Shape.Count };
        for (var d = 0; d < desc.Shape.Count; d++)
        {
            native.Shape[d] = desc.Shape[d];
        }

        return native;
    }

    private static void CheckDesc(TensorDesc? desc, string tensor, string what)
    {
        if (desc?.Shape is null)
        {
            throw new ArgumentException($"tensor \"{tensor}\": {what} has no tensor description", "spec");
        }

        if (desc.Shape.Count > TensorDesc.MaxDims)
        {
            throw new ArgumentException($"tensor \"{tensor}\": {what} has {desc.Shape.Count} dimensions; libmoco takes at most {TensorDesc.MaxDims}", "spec");
        }

        _ = desc.Dtype.ElementSize();
    }

    private static int Align(int offset) => (offset + 7) & ~7;
}
