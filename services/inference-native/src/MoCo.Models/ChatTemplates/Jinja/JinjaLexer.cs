using System.Globalization;
using System.Text;

namespace MoCo.Models.ChatTemplates.Jinja;

internal enum TokenKind
{
    Data,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    Eof,
}

internal readonly record struct JinjaToken(TokenKind Kind, string Value, int Line)
{
    public bool IsName(string name) => Kind == TokenKind.Name && Value == name;

    public bool IsOperator(string op) => Kind == TokenKind.Operator && Value == op;

    public override string ToString() => Kind switch
    {
        TokenKind.Eof => "end of template",
        TokenKind.BlockEnd => "end of statement block",
        TokenKind.VariableEnd => "end of print statement",
        _ => $"'{Value}'",
    };
}

/// <summary>
/// Splits a template into tokens exactly as jinja2's lexer does under transformers' settings
/// (trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False): newlines normalised to \n, one
/// trailing newline dropped, "-" strips all whitespace on its side, "+" keeps it, a block or comment tag
/// removes the spaces and tabs before it on its line and the newline after it.
/// </summary>
internal sealed class JinjaLexer
{
    private static readonly string[] Operators =
        ["//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"];

    private readonly string _source;
    private readonly string _name;
    private readonly List<JinjaToken> _tokens = [];
    private readonly List<int> _lineStarts = [];
    private int _pos;
    private bool _lineStarting = true;

    private JinjaLexer(string source, string name)
    {
        var normalized = source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        _source = normalized.EndsWith('\n') ? normalized[..^1] : normalized;
        _name = name;
        _lineStarts.Add(0);
        for (var i = 0; i < _source.Length; i++)
        {
            if (_source[i] == '\n')
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    public static List<JinjaToken> Tokenize(string source, string name)
    {
        var lexer = new JinjaLexer(source, name);
        lexer.Run();
        return lexer._tokens;
    }

    private int Line(int pos)
    {
        var index = _lineStarts.BinarySearch(pos);
        return index >= 0 ? index + 1 : ~index;
    }

    private ChatTemplateException Syntax(string problem, int pos) =>
        new(ChatTemplateErrorKind.Syntax, problem, Line(pos), template: _name);

    private void Run()
    {
        while (_pos < _source.Length)
        {
            var tag = FindTag(_pos);
            if (tag < 0)
            {
                Emit(TokenKind.Data, _source[_pos..], _pos);
                break;
            }
            var text = _source[_pos..tag];
            var opener = _source[tag + 1];
            var signPos = tag + 2;
            var sign = signPos < _source.Length && _source[signPos] is '-' or '+' ? _source[signPos] : '\0';
            var rawBodyStart = 0;
            var isRaw = opener == '%' && IsRawStart(signPos + (sign == '\0' ? 0 : 1), out rawBodyStart);

            if (sign == '-')
            {
                text = text.TrimEnd(PythonWhitespace);
            }
            else if (sign != '+' && opener != '{')
            {
                // lstrip_blocks: drop the spaces and tabs between the line start and a block or comment tag.
                var lineStart = text.LastIndexOf('\n') + 1;
                if ((lineStart > 0 || _lineStarting) && text.AsSpan(lineStart).IndexOfAnyExcept(' ', '\t') < 0)
                {
                    text = text[..lineStart];
                }
            }
            if (text.Length > 0)
            {
                Emit(TokenKind.Data, text, _pos);
            }
            _lineStarting = false;
            var afterOpener = signPos + (sign == '\0' ? 0 : 1);
            if (isRaw)
            {
                LexRaw(rawBodyStart, tag);
            }
            else if (opener == '#')
            {
                LexComment(afterOpener, tag);
            }
            else
            {
                LexTag(afterOpener, tag, opener == '%');
            }
        }
        _tokens.Add(new JinjaToken(TokenKind.Eof, "", Line(_source.Length)));
    }

    private static readonly char[] PythonWhitespace = [.. Enumerable.Range(0, 0x3001).Select(i => (char)i).Where(PyString.IsSpace)];

    /// <summary>The next "{{", "{%" or "{#" at or after <paramref name="from"/>, or -1.</summary>
    private int FindTag(int from)
    {
        for (var i = from; i < _source.Length - 1; i++)
        {
            if (_source[i] == '{' && _source[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }
        return -1;
    }

    private bool IsRawStart(int at, out int bodyStart)
    {
        bodyStart = 0;
        var i = SkipSpace(at);
        if (string.CompareOrdinal(_source, i, "raw", 0, 3) != 0)
        {
            return false;
        }
        i = SkipSpace(i + 3);
        if (i < _source.Length && _source[i] == '-' && string.CompareOrdinal(_source, i + 1, "%}", 0, 2) == 0)
        {
            bodyStart = SkipSpace(i + 3);
            return true;
        }
        if (string.CompareOrdinal(_source, i, "%}", 0, 2) == 0)
        {
            bodyStart = i + 2;
            return true;
        }
        return false;
    }

    private int SkipSpace(int i)
    {
        while (i < _source.Length && char.IsWhiteSpace(_source[i]))
        {
            i++;
        }
        return i;
    }

    private void LexRaw(int bodyStart, int tagStart)
    {
        for (var i = bodyStart; i < _source.Length - 1; i++)
        {
            if (_source[i] != '{' || _source[i + 1] != '%')
            {
                continue;
            }
            var sign = i + 2 < _source.Length && _source[i + 2] is '-' or '+' ? _source[i + 2] : '\0';
            var j = SkipSpace(i + 2 + (sign == '\0' ? 0 : 1));
            if (string.CompareOrdinal(_source, j, "endraw", 0, 6) != 0)
            {
                continue;
            }
            j = SkipSpace(j + 6);
            var body = _source[bodyStart..i];
            if (sign == '-')
            {
                body = body.TrimEnd(PythonWhitespace);
            }
            if (body.Length > 0)
            {
                Emit(TokenKind.Data, body, bodyStart);
            }
            _pos = BlockEnd(j, tagStart, "raw block");
            return;
        }
        throw Syntax("missing end of raw directive", tagStart);
    }

    private void LexComment(int from, int tagStart)
    {
        var end = _source.IndexOf("#}", from, StringComparison.Ordinal);
        if (end < 0)
        {
            throw Syntax("missing end of comment tag", tagStart);
        }
        var before = _source[end - 1];
        _pos = end + 2;
        if (before == '-' && end - 1 >= from)
        {
            _pos = SkipSpace(_pos);
        }
        else if (!(before == '+' && end - 1 >= from) && _pos < _source.Length && _source[_pos] == '\n')
        {
            _pos++;
        }
        _lineStarting = _source[_pos - 1] == '\n';
    }

    /// <summary>Consumes a block end at <paramref name="at"/> ("%}", "-%}", "+%}") with trim_blocks; returns the next position.</summary>
    private int BlockEnd(int at, int tagStart, string what)
    {
        int next;
        if (at < _source.Length && _source[at] == '-' && string.CompareOrdinal(_source, at + 1, "%}", 0, 2) == 0)
        {
            next = SkipSpace(at + 3);
        }
        else if (at < _source.Length && _source[at] == '+' && string.CompareOrdinal(_source, at + 1, "%}", 0, 2) == 0)
        {
            next = at + 3;
        }
        else if (string.CompareOrdinal(_source, at, "%}", 0, 2) == 0)
        {
            next = at + 2 < _source.Length && _source[at + 2] == '\n' ? at + 3 : at + 2;
        }
        else
        {
            throw Syntax($"unclosed {what}", tagStart);
        }
        _lineStarting = _source[next - 1] == '\n';
        return next;
    }

    private void LexTag(int from, int tagStart, bool block)
    {
        Emit(block ? TokenKind.BlockBegin : TokenKind.VariableBegin, block ? "{%" : "{{", tagStart);
        var depth = 0;
        var i = from;
        while (true)
        {
            if (i >= _source.Length)
            {
                throw Syntax(block ? "unexpected end of template inside a {% %} tag" : "unexpected end of template inside a {{ }} tag", tagStart);
            }
            if (depth == 0)
            {
                if (block && (string.CompareOrdinal(_source, i, "%}", 0, 2) == 0 || _source[i] is '-' or '+' && string.CompareOrdinal(_source, i + 1, "%}", 0, 2) == 0))
                {
                    Emit(TokenKind.BlockEnd, "%}", i);
                    _pos = BlockEnd(i, tagStart, "block tag");
                    return;
                }
                if (!block && string.CompareOrdinal(_source, i, "}}", 0, 2) == 0)
                {
                    Emit(TokenKind.VariableEnd, "}}", i);
                    _pos = i + 2;
                    _lineStarting = false;
                    return;
                }
                if (!block && _source[i] == '-' && string.CompareOrdinal(_source, i + 1, "}}", 0, 2) == 0)
                {
                    Emit(TokenKind.VariableEnd, "}}", i);
                    _pos = SkipSpace(i + 3);
                    _lineStarting = _source[_pos - 1] == '\n';
                    return;
                }
            }
            var c = _source[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsAsciiDigit(c))
            {
                i = LexNumber(i);
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < _source.Length && (char.IsLetterOrDigit(_source[i]) || _source[i] == '_'))
                {
                    i++;
                }
                Emit(TokenKind.Name, _source[start..i], start);
            }
            else if (c is '\'' or '"')
            {
                i = LexString(i);
            }
            else
            {
                var op = Array.Find(Operators, o => string.CompareOrdinal(_source, i, o, 0, o.Length) == 0)
                    ?? throw Syntax($"unexpected char '{c}'", i);
                depth += op is "(" or "[" or "{" ? 1 : op is ")" or "]" or "}" ? -1 : 0;
                if (depth < 0)
                {
                    throw Syntax($"unexpected '{op}'", i);
                }
                Emit(TokenKind.Operator, op, i);
                i += op.Length;
            }
        }
    }

    private int LexNumber(int start)
    {
        var i = start;
        void Digits()
        {
            while (i < _source.Length && (char.IsAsciiDigit(_source[i]) || _source[i] == '_' && i + 1 < _source.Length && char.IsAsciiDigit(_source[i + 1])))
            {
                i++;
            }
        }
        Digits();
        var isFloat = false;
        // A fraction needs a digit after the dot, so "items.0" and "1.foo" stay attribute access.
        if (i + 1 < _source.Length && _source[i] == '.' && char.IsAsciiDigit(_source[i + 1]) && (start == 0 || _source[start - 1] != '.'))
        {
            isFloat = true;
            i++;
            Digits();
        }
        if (i < _source.Length && _source[i] is 'e' or 'E' && (start == 0 || _source[start - 1] != '.'))
        {
            var j = i + 1;
            if (j < _source.Length && _source[j] is '+' or '-')
            {
                j++;
            }
            if (j < _source.Length && char.IsAsciiDigit(_source[j]))
            {
                isFloat = true;
                i = j;
                Digits();
            }
        }
        Emit(isFloat ? TokenKind.Float : TokenKind.Integer, _source[start..i].Replace("_", "", StringComparison.Ordinal), start);
        return i;
    }

    private int LexString(int start)
    {
        var quote = _source[start];
        var i = start + 1;
        while (i < _source.Length && _source[i] != quote)
        {
            i += _source[i] == '\\' ? 2 : 1;
        }
        if (i >= _source.Length)
        {
            throw Syntax("unterminated string literal", start);
        }
        Emit(TokenKind.String, Unescape(_source[(start + 1)..i], start), start);
        return i + 1;
    }

    /// <summary>Python's "unicode-escape" decoding, which jinja2 applies to string literals.</summary>
    private string Unescape(string raw, int at)
    {
        if (!raw.Contains('\\'))
        {
            return raw;
        }
        var sb = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '\\' || i + 1 >= raw.Length)
            {
                sb.Append(raw[i]);
                continue;
            }
            var c = raw[++i];
            switch (c)
            {
                case '\n': break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case >= '0' and <= '7':
                    var octal = 0;
                    var n = 0;
                    for (; n < 3 && i < raw.Length && raw[i] is >= '0' and <= '7'; n++, i++)
                    {
                        octal = octal * 8 + (raw[i] - '0');
                    }
                    i--;
                    sb.Append((char)octal);
                    break;
                case 'x' or 'u' or 'U':
                    var width = c == 'x' ? 2 : c == 'u' ? 4 : 8;
                    if (raw.Length - i - 1 < width
                        || !int.TryParse(raw.AsSpan(i + 1, width), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                    {
                        throw Syntax($"truncated \\{c} escape in a string literal", at);
                    }
                    sb.Append(char.ConvertFromUtf32(code));
                    i += width;
                    break;
                case 'N':
                    throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, "named unicode escapes (\\N{...}) in string literals", Line(at), "\\N{...} escape", _name);
                default:
                    sb.Append('\\').Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    private void Emit(TokenKind kind, string value, int pos) => _tokens.Add(new JinjaToken(kind, value, Line(pos)));
}
