namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>The reference keeps only the text after the last `&lt;/think&gt;`, stripped (methods-text.md §0.4).</summary>
public static class ThinkText
{
    private const string Marker = "</think>";

    /// <summary><paramref name="text"/> after the last marker, stripped; unchanged when there is none.</summary>
    public static string AfterLast(string text)
    {
        var at = text.LastIndexOf(Marker, StringComparison.Ordinal);
        return at < 0 ? text : text[(at + Marker.Length)..].Trim();
    }
}
