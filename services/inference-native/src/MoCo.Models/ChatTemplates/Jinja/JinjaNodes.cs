namespace MoCo.Models.ChatTemplates.Jinja;

// The syntax tree of a parsed template. Every node keeps its 1-based source line for error messages.

internal abstract record Node(int Line);

internal abstract record Expr(int Line) : Node(Line);

// ---- statements ----

internal sealed record DataNode(string Text, int Line) : Node(Line);

internal sealed record PrintNode(Expr Value, int Line) : Node(Line);

internal sealed record IfNode(IReadOnlyList<(Expr Test, IReadOnlyList<Node> Body)> Branches, IReadOnlyList<Node> Else, int Line) : Node(Line);

internal sealed record ForNode(AssignTarget Target, Expr Iterable, Expr? Filter, IReadOnlyList<Node> Body, IReadOnlyList<Node> Else, int Line) : Node(Line);

internal sealed record SetNode(AssignTarget Target, Expr Value, int Line) : Node(Line);

/// <summary>{% set x | filters %}…{% endset %}; Filter is the outermost filter of the chain, whose innermost Value is null (the block's text).</summary>
internal sealed record SetBlockNode(AssignTarget Target, IReadOnlyList<Node> Body, FilterExpr? Filter, int Line) : Node(Line);

internal sealed record MacroNode(string Name, IReadOnlyList<MacroParameter> Parameters, IReadOnlyList<Node> Body, int Line) : Node(Line);

internal sealed record CallBlockNode(CallExpr Call, IReadOnlyList<MacroParameter> Parameters, IReadOnlyList<Node> Body, int Line) : Node(Line);

internal sealed record LoopControlNode(bool IsBreak, int Line) : Node(Line);

/// <summary>transformers' {% generation %} … {% endgeneration %}: marks assistant text for masks; renders its body unchanged.</summary>
internal sealed record GenerationNode(IReadOnlyList<Node> Body, int Line) : Node(Line);

internal sealed record MacroParameter(string Name, Expr? Default);

/// <summary>The left side of set/for: a name, a tuple of names to unpack, or namespace.attribute.</summary>
internal abstract record AssignTarget;

internal sealed record NameTarget(string Name) : AssignTarget;

internal sealed record TupleTarget(IReadOnlyList<AssignTarget> Items) : AssignTarget;

internal sealed record NamespaceTarget(string Name, string Attribute) : AssignTarget;

// ---- expressions ----

internal sealed record ConstExpr(object? Value, int Line) : Expr(Line);

internal sealed record NameExpr(string Name, int Line) : Expr(Line);

internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Line) : Expr(Line);

internal sealed record TupleExpr(IReadOnlyList<Expr> Items, int Line) : Expr(Line);

internal sealed record DictExpr(IReadOnlyList<(Expr Key, Expr Value)> Items, int Line) : Expr(Line);

internal sealed record GetAttrExpr(Expr Owner, string Name, int Line) : Expr(Line);

internal sealed record GetItemExpr(Expr Owner, Expr Key, int Line) : Expr(Line);

internal sealed record SliceExpr(Expr? Start, Expr? Stop, Expr? Step, int Line) : Expr(Line);

internal sealed record CallExpr(Expr Callee, IReadOnlyList<Expr> Arguments, IReadOnlyList<(string Name, Expr Value)> Keywords, int Line) : Expr(Line);

internal sealed record FilterExpr(Expr? Value, string Name, IReadOnlyList<Expr> Arguments, IReadOnlyList<(string Name, Expr Value)> Keywords, int Line) : Expr(Line);

internal sealed record TestExpr(Expr Value, string Name, IReadOnlyList<Expr> Arguments, int Line) : Expr(Line);

internal sealed record UnaryExpr(string Operator, Expr Operand, int Line) : Expr(Line);

internal sealed record BinaryExpr(string Operator, Expr Left, Expr Right, int Line) : Expr(Line);

internal sealed record CompareExpr(Expr First, IReadOnlyList<(string Operator, Expr Operand)> Rest, int Line) : Expr(Line);

internal sealed record ConcatExpr(IReadOnlyList<Expr> Parts, int Line) : Expr(Line);

internal sealed record CondExpr(Expr Test, Expr Then, Expr? Else, int Line) : Expr(Line);
