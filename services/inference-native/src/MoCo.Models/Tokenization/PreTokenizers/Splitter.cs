using System.Buffers;
using System.Text.RegularExpressions;

namespace MoCo.Models.Tokenization.PreTokenizers;

/// <summary>
/// HF's NormalizedString::split: the text is cut into alternating gaps and matches, <c>invert</c> swaps
/// which of the two count as matches, the behaviour decides how matches join their neighbours, and empty
/// pieces are dropped. Shared by Split, ByteLevel (use_regex) and Metaspace (split). Pieces are emitted as
/// soon as they are final; at most one waits to see whether its neighbour joins it.
/// </summary>
internal static class Splitter
{
    public static void Split(Piece piece, Regex regex, SplitBehavior behavior, bool invert, PieceSink next)
    {
        ReadOnlySpan<char> span = piece.Text.Span;
        if (span.IsEmpty)
        {
            return;
        }
        var state = new State(behavior, piece, next);
        if (CodePointText.NeedsStandIn(span))
        {
            char[] standIn = ArrayPool<char>.Shared.Rent(span.Length + 1);
            int[] offsets = ArrayPool<int>.Shared.Rent(span.Length + 1);
            int length = CodePointText.Create(span, standIn, offsets);
            Walk(standIn.AsSpan(0, length), regex, invert, ref state, offsets);
            ArrayPool<char>.Shared.Return(standIn);
            ArrayPool<int>.Shared.Return(offsets);
        }
        else
        {
            Walk(span, regex, invert, ref state, offsets: null);
        }
        state.Finish();
    }

    // Feeds the alternating gaps and matches to the state, mapping stand-in positions back when given.
    private static void Walk(ReadOnlySpan<char> text, Regex regex, bool invert, ref State state, int[]? offsets)
    {
        int previous = 0;
        foreach (ValueMatch match in regex.EnumerateMatches(text))
        {
            int start = match.Index, end = match.Index + match.Length;
            if (start > previous)
            {
                state.Add(At(previous), At(start), invert);
            }
            state.Add(At(start), At(end), !invert);
            previous = end;
        }
        if (previous < text.Length)
        {
            state.Add(At(previous), At(text.Length), invert);
        }

        int At(int index) => offsets is null ? index : offsets[index];
    }

    private struct State(SplitBehavior behavior, Piece parent, PieceSink next)
    {
        private bool _previousWasMatch;
        private (int Start, int End)? _pending;

        public void Add(int start, int end, bool isMatch)
        {
            switch (behavior)
            {
                case SplitBehavior.Isolated:
                    Emit(start, end);
                    break;
                case SplitBehavior.Removed:
                    if (!isMatch)
                    {
                        Emit(start, end);
                    }
                    break;
                case SplitBehavior.Contiguous:
                    // Consecutive entries of the same kind join the previous piece.
                    Join(start, end, _pending is not null && isMatch == _previousWasMatch);
                    break;
                case SplitBehavior.MergedWithPrevious:
                    Join(start, end, _pending is not null && isMatch && !_previousWasMatch);
                    break;
                case SplitBehavior.MergedWithNext:
                    // HF folds from the end; going forward, a match waits to see whether a gap follows it.
                    if (isMatch)
                    {
                        EmitPending();
                        _pending = (start, end);
                    }
                    else if (_pending is { } match)
                    {
                        _pending = null;
                        Emit(match.Start, end);
                    }
                    else
                    {
                        Emit(start, end);
                    }
                    break;
            }
            _previousWasMatch = isMatch;
        }

        public void Finish() => EmitPending();

        private void Join(int start, int end, bool extendPrevious)
        {
            if (extendPrevious)
            {
                _pending = (_pending!.Value.Start, end);
                return;
            }
            EmitPending();
            _pending = (start, end);
        }

        private void EmitPending()
        {
            if (_pending is { } pending)
            {
                _pending = null;
                Emit(pending.Start, pending.End);
            }
        }

        private readonly void Emit(int start, int end)
        {
            if (end > start)
            {
                next.Accept(new Piece(parent.Text[start..end], parent.AtInputStart && start == 0, parent.BytesPending));
            }
        }
    }
}
