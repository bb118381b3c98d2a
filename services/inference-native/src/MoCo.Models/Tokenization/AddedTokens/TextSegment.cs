namespace MoCo.Models.Tokenization.AddedTokens;

/// <summary>A stretch of input: either plain text (<see cref="TokenId"/> is -1) or one matched added token.</summary>
internal readonly record struct TextSegment(ReadOnlyMemory<char> Text, int TokenId, bool AtInputStart)
{
    public bool IsAddedToken => TokenId >= 0;
}
