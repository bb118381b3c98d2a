using System.Globalization;

namespace MoCo.Models.ChatTemplates.Jinja;

/// <summary>
/// Builds the syntax tree from tokens following jinja2's grammar and operator precedence (parser.py):
/// inline if → or → and → not → comparisons (incl. in / not in) → + - → ~ → * / // % → ** → unary
/// minus, then postfix attribute/item/call, then filters and tests. Tags outside the supported set fail
/// with an Unsupported error naming the tag and its line.
/// </summary>
internal sealed class JinjaParser
{
    private static readonly HashSet<string> UnsupportedTags =
        ["extends", "block", "include", "import", "from", "autoescape", "with", "filter", "trans", "do"];

    private readonly List<JinjaToken> _tokens;
    private readonly string _name;
    private int _index;

    private JinjaParser(List<JinjaToken> tokens, string name)
    {
        _tokens = tokens;
        _name = name;
    }

    public static IReadOnlyList<Node> Parse(string source, string name)
    {
        var parser = new JinjaParser(JinjaLexer.Tokenize(source, name), name);
        var body = parser.Subparse([]);
        if (parser.Current.Kind != TokenKind.Eof)
        {
            throw parser.Fail($"unexpected {parser.Current}");
        }
        return body;
    }

    private JinjaToken Current => _tokens[_index];

    private JinjaToken Peek => _tokens[Math.Min(_index + 1, _tokens.Count - 1)];

    private JinjaToken Next() => _tokens[_index++];

    private ChatTemplateException Fail(string problem, JinjaToken? at = null) =>
        new(ChatTemplateErrorKind.Syntax, problem, (at ?? Current).Line, template: _name);

    private JinjaToken Expect(TokenKind kind, string? value = null)
    {
        var token = Current;
        if (token.Kind != kind || (value is not null && token.Value != value))
        {
            var wanted = value is not null ? $"'{value}'" : kind switch
            {
                TokenKind.Name => "a name",
                TokenKind.BlockEnd => "end of statement block",
                TokenKind.VariableEnd => "end of print statement",
                _ => kind.ToString(),
            };
            throw Fail($"expected {wanted}, got {token}");
        }
        _index++;
        return token;
    }

    private bool SkipOperator(string op)
    {
        if (Current.IsOperator(op))
        {
            _index++;
            return true;
        }
        return false;
    }

    private bool SkipName(string name)
    {
        if (Current.IsName(name))
        {
            _index++;
            return true;
        }
        return false;
    }

    /// <summary>Parses nodes until a block tag whose first name is one of <paramref name="endTags"/> (left unconsumed, after its "{%").</summary>
    private List<Node> Subparse(string[] endTags)
    {
        var body = new List<Node>();
        while (Current.Kind != TokenKind.Eof)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.Data:
                    Next();
                    body.Add(new DataNode(token.Value, token.Line));
                    break;
                case TokenKind.VariableBegin:
                    Next();
                    body.Add(new PrintNode(ParseTuple(withCondExpr: true), token.Line));
                    Expect(TokenKind.VariableEnd);
                    break;
                case TokenKind.BlockBegin:
                    if (Array.IndexOf(endTags, Peek.Value) >= 0 && Peek.Kind == TokenKind.Name)
                    {
                        Next();
                        return body;
                    }
                    Next();
                    body.Add(ParseStatement());
                    break;
                default:
                    throw Fail($"unexpected {token}");
            }
        }
        if (endTags.Length > 0)
        {
            throw Fail($"unexpected end of template: expected {string.Join(" or ", endTags.Select(t => "'" + t + "'"))}");
        }
        return body;
    }

    private Node ParseStatement()
    {
        var token = Current;
        if (token.Kind != TokenKind.Name)
        {
            throw Fail("tag name expected");
        }
        switch (token.Value)
        {
            case "if":
                return ParseIf();
            case "for":
                return ParseFor();
            case "set":
                return ParseSet();
            case "macro":
                return ParseMacro();
            case "call":
                return ParseCallBlock();
            case "print":
                Next();
                var printed = ParseTuple(withCondExpr: true);
                Expect(TokenKind.BlockEnd);
                return new PrintNode(printed, token.Line);
            case "break" or "continue":
                Next();
                Expect(TokenKind.BlockEnd);
                return new LoopControlNode(token.Value == "break", token.Line);
            case "generation":
                Next();
                Expect(TokenKind.BlockEnd);
                var generated = Subparse(["endgeneration"]);
                Next();
                Expect(TokenKind.BlockEnd);
                return new GenerationNode(generated, token.Line);
        }
        if (UnsupportedTags.Contains(token.Value))
        {
            throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, $"the {{% {token.Value} %}} tag", token.Line, $"{{% {token.Value} %}}", _name);
        }
        throw Fail($"encountered unknown tag '{token.Value}'");
    }

    private IfNode ParseIf()
    {
        var line = Next().Line;
        var branches = new List<(Expr, IReadOnlyList<Node>)>();
        var test = ParseTuple(withCondExpr: false);
        while (true)
        {
            Expect(TokenKind.BlockEnd);
            var body = Subparse(["elif", "else", "endif"]);
            branches.Add((test, body));
            var tag = Next();
            if (tag.Value == "elif")
            {
                test = ParseTuple(withCondExpr: false);
                continue;
            }
            if (tag.Value == "else")
            {
                Expect(TokenKind.BlockEnd);
                var elseBody = Subparse(["endif"]);
                Next();
                Expect(TokenKind.BlockEnd);
                return new IfNode(branches, elseBody, line);
            }
            Expect(TokenKind.BlockEnd);
            return new IfNode(branches, [], line);
        }
    }

    private ForNode ParseFor()
    {
        var line = Next().Line;
        var target = ParseAssignTarget(allowNamespace: false, endName: "in");
        Expect(TokenKind.Name, "in");
        var iterable = ParseTuple(withCondExpr: false, endNames: ["recursive", "if"]);
        Expr? filter = null;
        if (SkipName("if"))
        {
            filter = ParseExpression();
        }
        if (Current.IsName("recursive"))
        {
            throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, "recursive for loops", Current.Line, "for … recursive", _name);
        }
        Expect(TokenKind.BlockEnd);
        var body = Subparse(["endfor", "else"]);
        IReadOnlyList<Node> elseBody = [];
        if (Next().Value == "else")
        {
            Expect(TokenKind.BlockEnd);
            elseBody = Subparse(["endfor"]);
            Next();
        }
        Expect(TokenKind.BlockEnd);
        return new ForNode(target, iterable, filter, body, elseBody, line);
    }

    private Node ParseSet()
    {
        var line = Next().Line;
        var target = ParseAssignTarget(allowNamespace: true, endName: null);
        if (SkipOperator("="))
        {
            var value = ParseTuple(withCondExpr: true);
            Expect(TokenKind.BlockEnd);
            return new SetNode(target, value, line);
        }
        var filter = Current.IsOperator("|") ? (FilterExpr)ParseFilter(null) : null;
        Expect(TokenKind.BlockEnd);
        var body = Subparse(["endset"]);
        Next();
        Expect(TokenKind.BlockEnd);
        return new SetBlockNode(target, body, filter, line);
    }

    private MacroNode ParseMacro()
    {
        var line = Next().Line;
        var name = Expect(TokenKind.Name).Value;
        var parameters = ParseParameters();
        Expect(TokenKind.BlockEnd);
        var body = Subparse(["endmacro"]);
        Next();
        Expect(TokenKind.BlockEnd);
        return new MacroNode(name, parameters, body, line);
    }

    private CallBlockNode ParseCallBlock()
    {
        var line = Next().Line;
        var parameters = Current.IsOperator("(") ? ParseParameters() : [];
        var call = ParseExpression() as CallExpr ?? throw Fail("expected a call after {% call %}");
        Expect(TokenKind.BlockEnd);
        var body = Subparse(["endcall"]);
        Next();
        Expect(TokenKind.BlockEnd);
        return new CallBlockNode(call, parameters, body, line);
    }

    private List<MacroParameter> ParseParameters()
    {
        var parameters = new List<MacroParameter>();
        Expect(TokenKind.Operator, "(");
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
            }
            var name = Expect(TokenKind.Name).Value;
            parameters.Add(new MacroParameter(name, SkipOperator("=") ? ParseExpression() : null));
        }
        Next();
        return parameters;
    }

    private AssignTarget ParseAssignTarget(bool allowNamespace, string? endName)
    {
        AssignTarget One()
        {
            var name = Expect(TokenKind.Name).Value;
            if (allowNamespace && SkipOperator("."))
            {
                return new NamespaceTarget(name, Expect(TokenKind.Name).Value);
            }
            return new NameTarget(name);
        }
        var first = One();
        if (!Current.IsOperator(","))
        {
            return first;
        }
        var items = new List<AssignTarget> { first };
        while (SkipOperator(","))
        {
            if (Current.Kind != TokenKind.Name || (endName is not null && Current.IsName(endName)))
            {
                break;
            }
            items.Add(One());
        }
        return new TupleTarget(items);
    }

    // ---- expressions ----

    private Expr ParseExpression(bool withCondExpr = true) => withCondExpr ? ParseCondExpr() : ParseOr();

    /// <summary>jinja2's parse_tuple: one expression, or a comma-separated tuple without parentheses.</summary>
    private Expr ParseTuple(bool withCondExpr, string[]? endNames = null, bool explicitParentheses = false)
    {
        var line = Current.Line;
        var items = new List<Expr>();
        var isTuple = false;
        while (true)
        {
            if (items.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
            }
            if (Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd || Current.IsOperator(")")
                || (endNames is not null && Current.Kind == TokenKind.Name && Array.IndexOf(endNames, Current.Value) >= 0))
            {
                break;
            }
            items.Add(ParseExpression(withCondExpr));
            if (Current.IsOperator(","))
            {
                isTuple = true;
            }
            else
            {
                break;
            }
        }
        if (!isTuple)
        {
            if (items.Count > 0)
            {
                return items[0];
            }
            if (!explicitParentheses)
            {
                throw Fail($"expected an expression, got {Current}");
            }
        }
        return new TupleExpr(items, line);
    }

    private Expr ParseCondExpr()
    {
        var expr = ParseOr();
        while (Current.IsName("if"))
        {
            var line = Next().Line;
            var test = ParseOr();
            var otherwise = SkipName("else") ? ParseCondExpr() : null;
            expr = new CondExpr(test, expr, otherwise, line);
        }
        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var line = Next().Line;
            left = new BinaryExpr("or", left, ParseAnd(), line);
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var line = Next().Line;
            left = new BinaryExpr("and", left, ParseNot(), line);
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            var line = Next().Line;
            return new UnaryExpr("not", ParseNot(), line);
        }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var line = Current.Line;
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && Current.Value is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                var op = Next().Value;
                rest.Add((op, ParseMath1()));
            }
            else if (Current.IsName("in"))
            {
                Next();
                rest.Add(("in", ParseMath1()));
            }
            else if (Current.IsName("not") && Peek.IsName("in"))
            {
                _index += 2;
                rest.Add(("not in", ParseMath1()));
            }
            else
            {
                break;
            }
        }
        return rest.Count == 0 ? first : new CompareExpr(first, rest, line);
    }

    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Current.Kind == TokenKind.Operator && Current.Value is "+" or "-")
        {
            var token = Next();
            left = new BinaryExpr(token.Value, left, ParseConcat(), token.Line);
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var line = Current.Line;
        var parts = new List<Expr> { ParseMath2() };
        while (SkipOperator("~"))
        {
            parts.Add(ParseMath2());
        }
        return parts.Count == 1 ? parts[0] : new ConcatExpr(parts, line);
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var token = Next();
            left = new BinaryExpr(token.Value, left, ParsePow(), token.Line);
        }
        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary();
        while (Current.IsOperator("**"))
        {
            var token = Next();
            left = new BinaryExpr("**", left, ParseUnary(), token.Line);
        }
        return left;
    }

    private Expr ParseUnary(bool withFilter = true)
    {
        Expr node;
        if (Current.Kind == TokenKind.Operator && Current.Value is "-" or "+")
        {
            var token = Next();
            node = new UnaryExpr(token.Value, ParseUnary(withFilter: false), token.Line);
        }
        else
        {
            node = ParsePrimary();
        }
        node = ParsePostfix(node);
        return withFilter ? ParseFilterExpr(node) : node;
    }

    private Expr ParsePrimary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.Name:
                return token.Value switch
                {
                    "true" or "True" => new ConstExpr(true, token.Line),
                    "false" or "False" => new ConstExpr(false, token.Line),
                    "none" or "None" => new ConstExpr(null, token.Line),
                    _ => new NameExpr(token.Value, token.Line),
                };
            case TokenKind.String:
                var text = token.Value;
                while (Current.Kind == TokenKind.String)
                {
                    text += Next().Value;
                }
                return new ConstExpr(text, token.Line);
            case TokenKind.Integer:
                return new ConstExpr(long.Parse(token.Value, CultureInfo.InvariantCulture), token.Line);
            case TokenKind.Float:
                return new ConstExpr(double.Parse(token.Value, CultureInfo.InvariantCulture), token.Line);
            case TokenKind.Operator when token.Value == "(":
                var inner = ParseTuple(withCondExpr: true, explicitParentheses: true);
                Expect(TokenKind.Operator, ")");
                return inner;
            case TokenKind.Operator when token.Value == "[":
                var items = new List<Expr>();
                while (!Current.IsOperator("]"))
                {
                    if (items.Count > 0)
                    {
                        Expect(TokenKind.Operator, ",");
                        if (Current.IsOperator("]"))
                        {
                            break;
                        }
                    }
                    items.Add(ParseExpression());
                }
                Next();
                return new ListExpr(items, token.Line);
            case TokenKind.Operator when token.Value == "{":
                var pairs = new List<(Expr, Expr)>();
                while (!Current.IsOperator("}"))
                {
                    if (pairs.Count > 0)
                    {
                        Expect(TokenKind.Operator, ",");
                        if (Current.IsOperator("}"))
                        {
                            break;
                        }
                    }
                    var key = ParseExpression();
                    Expect(TokenKind.Operator, ":");
                    pairs.Add((key, ParseExpression()));
                }
                Next();
                return new DictExpr(pairs, token.Line);
            default:
                throw Fail($"unexpected {token}", token);
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator(".") || Current.IsOperator("["))
            {
                node = ParseSubscript(node);
            }
            else if (Current.IsOperator("("))
            {
                node = ParseCall(node);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("|"))
            {
                node = ParseFilter(node);
            }
            else if (Current.IsName("is"))
            {
                node = ParseTest(node);
            }
            else if (Current.IsOperator("("))
            {
                node = ParseCall(node);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscript(Expr node)
    {
        var token = Next();
        if (token.Value == ".")
        {
            var attribute = Next();
            return attribute.Kind switch
            {
                TokenKind.Name => new GetAttrExpr(node, attribute.Value, token.Line),
                TokenKind.Integer => new GetItemExpr(node, new ConstExpr(long.Parse(attribute.Value, CultureInfo.InvariantCulture), token.Line), token.Line),
                _ => throw Fail("expected name or number after '.'", attribute),
            };
        }
        var keys = new List<Expr>();
        while (!Current.IsOperator("]"))
        {
            if (keys.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
            }
            keys.Add(ParseSubscribed());
        }
        Next();
        return new GetItemExpr(node, keys.Count == 1 ? keys[0] : new TupleExpr(keys, token.Line), token.Line);
    }

    private Expr ParseSubscribed()
    {
        var line = Current.Line;
        Expr? start = null;
        if (!Current.IsOperator(":"))
        {
            start = ParseExpression();
            if (!Current.IsOperator(":"))
            {
                return start;
            }
        }
        Next();
        Expr? stop = null;
        if (!Current.IsOperator("]") && !Current.IsOperator(",") && !Current.IsOperator(":"))
        {
            stop = ParseExpression();
        }
        Expr? step = null;
        if (SkipOperator(":") && !Current.IsOperator("]") && !Current.IsOperator(","))
        {
            step = ParseExpression();
        }
        return new SliceExpr(start, stop, step, line);
    }

    private CallExpr ParseCall(Expr callee)
    {
        var line = Current.Line;
        var (arguments, keywords) = ParseCallArguments();
        return new CallExpr(callee, arguments, keywords, line);
    }

    private (List<Expr>, List<(string, Expr)>) ParseCallArguments()
    {
        Expect(TokenKind.Operator, "(");
        var arguments = new List<Expr>();
        var keywords = new List<(string, Expr)>();
        while (!Current.IsOperator(")"))
        {
            if (arguments.Count + keywords.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (Current.IsOperator(")"))
                {
                    break;
                }
            }
            if (Current.IsOperator("*") || Current.IsOperator("**"))
            {
                throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, "*args / **kwargs in calls", Current.Line, "*args / **kwargs", _name);
            }
            if (Current.Kind == TokenKind.Name && Peek.IsOperator("="))
            {
                var name = Next().Value;
                Next();
                keywords.Add((name, ParseExpression()));
            }
            else
            {
                if (keywords.Count > 0)
                {
                    throw Fail("invalid syntax for function call expression");
                }
                arguments.Add(ParseExpression());
            }
        }
        Next();
        return (arguments, keywords);
    }

    private Expr ParseFilter(Expr? node)
    {
        while (SkipOperator("|"))
        {
            var token = Expect(TokenKind.Name);
            var name = token.Value;
            while (SkipOperator("."))
            {
                name += "." + Expect(TokenKind.Name).Value;
            }
            var (arguments, keywords) = Current.IsOperator("(") ? ParseCallArguments() : ([], []);
            node = new FilterExpr(node, name, arguments, keywords, token.Line);
        }
        return node!;
    }

    private Expr ParseTest(Expr node)
    {
        var line = Next().Line;
        var negated = SkipName("not");
        var name = Expect(TokenKind.Name).Value;
        List<Expr> arguments = [];
        if (Current.IsOperator("("))
        {
            var (args, keywords) = ParseCallArguments();
            if (keywords.Count > 0)
            {
                throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, "keyword arguments to tests", line, "test keyword arguments", _name);
            }
            arguments = args;
        }
        else if ((Current.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
                    || Current.IsOperator("(") || Current.IsOperator("[") || Current.IsOperator("{"))
                 && !Current.IsName("else") && !Current.IsName("or") && !Current.IsName("and"))
        {
            if (Current.IsName("is"))
            {
                throw Fail("you cannot chain multiple tests with is");
            }
            arguments = [ParsePostfix(ParsePrimary())];
        }
        Expr test = new TestExpr(node, name, arguments, line);
        return negated ? new UnaryExpr("not", test, line) : test;
    }
}
