namespace MoCo.Native;

/// <summary>
/// Result codes of the libmoco C ABI (<c>moco_status</c> in moco.h). The numeric values are part of the
/// ABI: never renumbered, new codes only appended. The service layer maps them to gRPC status codes.
/// </summary>
public enum MocoStatus
{
    /// <summary><c>MOCO_OK</c>: success.</summary>
    Ok = 0,

    /// <summary><c>MOCO_ERR_INVALID_ARGUMENT</c>: a caller error (bad value, NULL, bad struct size).</summary>
    InvalidArgument = 1,

    /// <summary><c>MOCO_ERR_NOT_FOUND</c>: a named device, model, file or tensor does not exist.</summary>
    NotFound = 2,

    /// <summary><c>MOCO_ERR_OUT_OF_MEMORY</c>: a host or device allocation failed.</summary>
    OutOfMemory = 3,

    /// <summary><c>MOCO_ERR_NUMERIC</c>: NaN/Inf or another numeric failure.</summary>
    Numeric = 4,

    /// <summary><c>MOCO_ERR_IO</c>: reading or writing a file failed.</summary>
    Io = 5,

    /// <summary><c>MOCO_ERR_UNIMPLEMENTED</c>: the feature is not compiled in or not supported yet.</summary>
    Unimplemented = 6,

    /// <summary><c>MOCO_ERR_RESOURCE_EXHAUSTED</c>: a capacity limit (KV cache, sequences) is reached.</summary>
    ResourceExhausted = 7,

    /// <summary><c>MOCO_ERR_INTERNAL</c>: a libmoco bug or an unexpected failure.</summary>
    Internal = 8,
}
