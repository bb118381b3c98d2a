using System.Text;
using MoCo.Models.Tokenization.Models;

namespace MoCo.Models.Tokenization.Decoders;

/// <summary>
/// HF "ByteLevel": maps every character back to its byte and decodes all tokens' bytes together as UTF-8,
/// invalid sequences becoming U+FFFD (Rust's from_utf8_lossy and .NET both substitute maximal subparts). A
/// token with a character outside the byte alphabet (an added token such as "你好") contributes its own
/// UTF-8 bytes, as in HF.
/// </summary>
internal sealed class ByteLevelDecoder : Decoder
{
    public override void Decode(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (string token in tokens)
        {
            if (IsByteAlphabet(token))
            {
                foreach (char c in token)
                {
                    bytes.Add((byte)ByteLevelAlphabet.CharToByte[c]);
                }
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
            }
        }
        tokens.Clear();
        tokens.Add(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
    }

    private static bool IsByteAlphabet(string token)
    {
        foreach (char c in token)
        {
            if (c >= ByteLevelAlphabet.CharLimit || ByteLevelAlphabet.CharToByte[c] < 0)
            {
                return false;
            }
        }
        return true;
    }
}
