namespace MoCo.Native;

/// <summary>
/// Element type of a stored tensor (<c>moco_dtype</c>): what a checkpoint was saved in, and the storage type
/// of the weight-level kernels' byte buffers. The numeric values are part of the ABI.
/// </summary>
public enum MocoDtype
{
    /// <summary>IEEE float32 (<c>MOCO_DTYPE_F32</c>), 4 bytes.</summary>
    F32 = 0,

    /// <summary>IEEE float16 (<c>MOCO_DTYPE_F16</c>), 2 bytes.</summary>
    F16 = 1,

    /// <summary>bfloat16 (<c>MOCO_DTYPE_BF16</c>), 2 bytes.</summary>
    BF16 = 2,
}

/// <summary>Sizes of <see cref="MocoDtype"/> elements, for checking byte buffers before a native call.</summary>
public static class MocoDtypeExtensions
{
    /// <summary>Bytes per element; throws for a value libmoco does not define so a bad dtype fails before native code.</summary>
    public static int ElementSize(this MocoDtype dtype) => dtype switch
    {
        MocoDtype.F32 => 4,
        MocoDtype.F16 or MocoDtype.BF16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a moco_dtype (F32, F16, BF16)"),
    };
}
