namespace MoCo.Router.Switching;

/// <summary>One item's SwitchGen state (methods-api.md §3): the query, the patches and their authors (0-based), the
/// sequence so far, and whether an `&lt;end&gt;` stopped it.</summary>
public sealed class SwitchState(string itemKey, string query)
{
    /// <summary>Call-key item (split and index, or a training key).</summary>
    public string ItemKey { get; } = itemKey;

    /// <summary>The query q.</summary>
    public string Query { get; } = query;

    /// <summary>Patches in order.</summary>
    public List<string> Segments { get; init; } = [];

    /// <summary>Each patch's model index.</summary>
    public List<int> Authors { get; init; } = [];

    /// <summary>Patches joined, each followed by a space, with the cues appended.</summary>
    public string Sequence { get; set; } = "";

    /// <summary>An `&lt;end&gt;` was appended: later rounds would not change the output, so they are skipped.</summary>
    public bool Ended { get; set; }

    /// <summary>A copy under another call-key item (a rollout continuing this prefix).</summary>
    public SwitchState Fork(string itemKey) => new(itemKey, Query) { Segments = [.. Segments], Authors = [.. Authors], Sequence = Sequence, Ended = Ended };

    /// <summary>The output: the sequence stripped, cut before the first `&lt;end&gt;`, stripped.</summary>
    public string Output => Sequence.Trim().Split("<end>")[0].Trim();
}
