namespace MoCo.Models.Tokenization.PreTokenizers;

/// <summary>What HF's Split does with the text a pattern matches (SplitDelimiterBehavior).</summary>
internal enum SplitBehavior
{
    /// <summary>Matches are dropped.</summary>
    Removed,

    /// <summary>Matches and the text between them become pieces of their own.</summary>
    Isolated,

    /// <summary>A match is appended to the piece before it.</summary>
    MergedWithPrevious,

    /// <summary>A match is prepended to the piece after it.</summary>
    MergedWithNext,

    /// <summary>Consecutive matches become one piece.</summary>
    Contiguous,
}
