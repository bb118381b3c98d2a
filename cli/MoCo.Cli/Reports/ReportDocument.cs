namespace MoCo.Cli.Reports;

/// <summary>A report as a list of blocks, written once and rendered as HTML or Markdown (<see cref="HtmlRenderer"/>,
/// <see cref="MarkdownRenderer"/>), so the two formats always say the same thing.</summary>
internal sealed class ReportDocument(string title)
{
    private readonly List<Block> _blocks = [];

    /// <summary>The document's title.</summary>
    public string Title { get; } = title;

    /// <summary>The blocks in order.</summary>
    public IReadOnlyList<Block> Blocks => _blocks;

    public void Heading(int level, string text, string? anchor = null) => _blocks.Add(new HeadingBlock(level, text, anchor));

    public void Paragraph(string text) => _blocks.Add(new ParagraphBlock(text));

    public void Code(string text) => _blocks.Add(new CodeBlock(text));

    /// <summary>A table; a searchable one gets a filter box in HTML (the items).</summary>
    public void Table(IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows, bool searchable = false) =>
        _blocks.Add(new TableBlock(headers, rows, searchable));

    /// <summary>A histogram: one bar per label, scaled to the largest count.</summary>
    public void Bars(IReadOnlyList<(string Label, int Count)> bars) => _blocks.Add(new BarsBlock(bars));

    internal abstract record Block;

    internal sealed record HeadingBlock(int Level, string Text, string? Anchor) : Block;

    internal sealed record ParagraphBlock(string Text) : Block;

    internal sealed record CodeBlock(string Text) : Block;

    internal sealed record TableBlock(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows, bool Searchable) : Block;

    internal sealed record BarsBlock(IReadOnlyList<(string Label, int Count)> Bars) : Block;
}
