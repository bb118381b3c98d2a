namespace MoCo.Native.Merge;

/// <summary>Dtype and shape of one tensor taking part in a merge (<c>moco_tensor_desc</c>: at most 8 dimensions, each &gt;= 1).</summary>
public sealed record TensorDesc(MocoDtype Dtype, IReadOnlyList<long> Shape)
{
    /// <summary>The most dimensions libmoco accepts (<c>MOCO_MAX_DIMS</c>).</summary>
    public const int MaxDims = 8;

    /// <summary>Elements of the tensor (1 for 0-D).</summary>
    public long Numel
    {
        get
        {
            var n = 1L;
            foreach (var d in Shape)
            {
                n *= d;
            }

            return n;
        }
    }

    /// <summary>Row length: the last dimension (1 for 0-D), what chunk offsets map through.</summary>
    public long Cols => Shape.Count == 0 ? 1 : Shape[^1];

    /// <summary>Bytes of the whole tensor.</summary>
    public long ByteLength => Numel * Dtype.ElementSize();
}
