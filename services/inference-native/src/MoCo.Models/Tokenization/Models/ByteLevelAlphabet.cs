namespace MoCo.Models.Tokenization.Models;

/// <summary>
/// GPT-2's reversible byte-to-character table: printable Latin-1 bytes stand for themselves, the other 68
/// bytes map to U+0100 upwards, so every byte sequence becomes a string of visible characters that BPE
/// vocabularies can store.
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>The character each byte is written as.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>Index by character (below <see cref="CharLimit"/>): the byte it stands for, or -1.</summary>
    public static readonly short[] CharToByte = BuildCharToByte();

    /// <summary>One past the highest character the table uses.</summary>
    public const int CharLimit = 0x144;

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)(256 + next++);
        }
        return table;
    }

    private static short[] BuildCharToByte()
    {
        var table = new short[CharLimit];
        Array.Fill(table, (short)-1);
        for (int b = 0; b < 256; b++)
        {
            table[ByteToChar[b]] = (short)b;
        }
        return table;
    }
}
