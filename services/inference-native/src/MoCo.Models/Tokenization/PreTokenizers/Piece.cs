using System.Text;
using MoCo.Models.Tokenization.Models;

namespace MoCo.Models.Tokenization.PreTokenizers;

/// <summary>
/// A word produced by pre-tokenisation. <see cref="AtInputStart"/> says the piece begins at offset 0 of the
/// caller's text, which Metaspace's "first" prepend scheme needs (HF checks the original offset).
/// <see cref="BytesPending"/> says ByteLevel has split the piece but its byte-to-character mapping is still
/// to be applied: the BPE model applies it while looking the word up, which spares a string per word on the
/// hot path, and a later step that needs the mapped text calls <see cref="WithBytesMapped"/>.
/// </summary>
internal readonly record struct Piece(ReadOnlyMemory<char> Text, bool AtInputStart, bool BytesPending = false)
{
    /// <summary>The piece with any pending ByteLevel mapping applied.</summary>
    public Piece WithBytesMapped()
    {
        if (!BytesPending)
        {
            return this;
        }
        byte[] bytes = Encoding.UTF8.GetBytes(Text.ToArray());
        var mapped = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            mapped[i] = ByteLevelAlphabet.ByteToChar[bytes[i]];
        }
        return new Piece(mapped, AtInputStart);
    }
}
