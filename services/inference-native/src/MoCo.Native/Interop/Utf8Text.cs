using System.Text;

namespace MoCo.Native.Interop;

/// <summary>Managed strings as the NUL-terminated UTF-8 libmoco reads, checked before they cross the ABI.</summary>
internal static class Utf8Text
{
    /// <summary>
    /// Throws <see cref="ArgumentNullException"/> or <see cref="ArgumentException"/> (naming
    /// <paramref name="parameter"/>) for a string the C side would truncate at an embedded NUL.
    /// </summary>
    public static void Validate(string? text, string parameter)
    {
        ArgumentNullException.ThrowIfNull(text, parameter);
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("contains a NUL character, which would cut the string short in libmoco", parameter);
        }
    }

    /// <summary>The NUL-terminated UTF-8 bytes of a validated string.</summary>
    public static byte[] Encode(string text, string parameter)
    {
        Validate(text, parameter);
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}
