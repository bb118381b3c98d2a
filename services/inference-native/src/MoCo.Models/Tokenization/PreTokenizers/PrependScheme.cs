namespace MoCo.Models.Tokenization.PreTokenizers;

/// <summary>When Metaspace puts its replacement character in front of a piece.</summary>
internal enum PrependScheme
{
    /// <summary>Before every piece that does not already start with it.</summary>
    Always,

    /// <summary>Only before the piece at the very start of the input (not after a leading added token).</summary>
    First,

    /// <summary>Never.</summary>
    Never,
}
