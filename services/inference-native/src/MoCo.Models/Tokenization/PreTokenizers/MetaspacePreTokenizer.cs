using System.Text;
using System.Text.RegularExpressions;

namespace MoCo.Models.Tokenization.PreTokenizers;

/// <summary>
/// HF "Metaspace" (SentencePiece style): spaces become the replacement character (normally "▁"), which is
/// prepended according to the scheme, and with <c>split</c> each "▁" starts a new piece.
/// </summary>
internal sealed class MetaspacePreTokenizer : PreTokenizer
{
    private readonly string _replacement;
    private readonly PrependScheme _scheme;
    private readonly Regex? _splitAt;

    public MetaspacePreTokenizer(int replacement, PrependScheme scheme, bool split)
    {
        _replacement = new Rune(replacement).ToString();
        _scheme = scheme;
        _splitAt = split ? new Regex(Regex.Escape(_replacement), RegexOptions.CultureInvariant) : null;
    }

    public override void PreTokenize(Piece piece, PieceSink next)
    {
        piece = piece.WithBytesMapped();
        string replaced = piece.Text.Span.ToString().Replace(" ", _replacement, StringComparison.Ordinal);
        bool prepend = !replaced.StartsWith(_replacement, StringComparison.Ordinal) && _scheme switch
        {
            PrependScheme.Always => true,
            PrependScheme.First => piece.AtInputStart,
            _ => false,
        };
        piece = piece with { Text = (prepend ? _replacement + replaced : replaced).AsMemory() };
        if (_splitAt is null)
        {
            next.Accept(piece);
        }
        else
        {
            Splitter.Split(piece, _splitAt, SplitBehavior.MergedWithNext, invert: false, next);
        }
    }
}
