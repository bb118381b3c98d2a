namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>Prompt assembly (methods-text.md §0.3): one user turn; text after the first `&lt;begin&gt;` becomes the
/// assistant prefill.</summary>
public static class ChatPrompts
{
    /// <summary>A generation request for one item of a split: item key `split/index`, sample/round index 0.</summary>
    public static GenerationRequest ForItem(CallSite site, TaskSplit split, TaskItem item, GenerationSettings? settings = null, int index = 0)
    {
        var (user, prefill) = SplitPrefill(item.Prompt);
        return new GenerationRequest(site, ItemKey(split, item), index, user, prefill, 1, settings);
    }

    /// <summary>A generation request for a prompt a method composed (around an item, or for another unit), prefill split off
    /// as for item prompts.</summary>
    public static GenerationRequest ForPrompt(CallSite site, string itemKey, int index, string prompt, GenerationSettings? settings = null)
    {
        var (user, prefill) = SplitPrefill(prompt);
        return new GenerationRequest(site, itemKey, index, user, prefill, 1, settings);
    }

    /// <summary>The call-key item of a split item, `split/index` (the router service keys a served item the same way).</summary>
    public static string ItemKey(TaskSplit split, TaskItem item) => MoCo.Router.Service.RouterItems.Of(split.Name, item.Index);

    /// <summary>(user message, prefill) of a prompt.</summary>
    public static (string User, string Prefill) SplitPrefill(string prompt) => MoCo.Router.Routing.UserPrompts.Split(prompt);
}
