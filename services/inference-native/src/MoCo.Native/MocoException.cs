using MoCo.Native.Interop;

namespace MoCo.Native;

/// <summary>
/// A libmoco call failed. <see cref="Status"/> is the native status code; <see cref="Exception.Message"/>
/// is libmoco's own message (<c>moco_last_error()</c>), which names the function, the argument at fault
/// and the fix.
/// </summary>
public sealed class MocoException : Exception
{
    /// <summary>Creates an exception for a failed native call.</summary>
    public MocoException(MocoStatus status, string message)
        : base(message)
    {
        Status = status;
    }

    /// <summary>The status the native call returned (never <see cref="MocoStatus.Ok"/>).</summary>
    public MocoStatus Status { get; }

    /// <summary>libmoco's name of <see cref="Status"/> ("MOCO_ERR_RESOURCE_EXHAUSTED"), as logs and the C side spell it.</summary>
    public string StatusName => NativeMethods.StatusName(Status);

    /// <summary>
    /// Throws a <see cref="MocoException"/> when <paramref name="status"/> is not <see cref="MocoStatus.Ok"/>.
    /// Must be called on the thread that made the native call, right after it, since the message is
    /// read from libmoco's thread-local last error.
    /// </summary>
    internal static void ThrowIfFailed(MocoStatus status, string function)
    {
        if (status == MocoStatus.Ok)
        {
            return;
        }

        var message = NativeMethods.LastError();
        if (string.IsNullOrEmpty(message))
        {
            message = $"{function} failed with {NativeMethods.StatusName(status)}";
        }

        throw new MocoException(status, message);
    }
}
