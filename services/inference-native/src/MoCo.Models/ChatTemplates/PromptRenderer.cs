namespace MoCo.Models.ChatTemplates;

/// <summary>
/// Turns a chat prompt into model input text (contracts.md ChatPrompt, methods-text.md §0.3): the model's chat
/// template applied to the messages, then the assistant prefill appended verbatim after the rendered generation
/// prompt. A model without a template gets the message contents joined by "\n" plus the prefill.
/// </summary>
public static class PromptRenderer
{
    /// <summary>Renders <paramref name="request"/> with <paramref name="template"/>, or raw when it is null.</summary>
    /// <param name="template">The model's template; null when it has none.</param>
    /// <param name="request">The conversation and template variables.</param>
    /// <param name="assistantPrefill">Text the assistant turn starts with; appended as is.</param>
    /// <exception cref="ChatTemplateException">The template rejected the conversation or failed.</exception>
    public static string Render(ChatTemplate? template, ChatTemplateRequest request, string? assistantPrefill = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rendered = template is null
            ? string.Join("\n", request.Messages.Select(m => m.Content))
            : template.Render(request);
        return rendered + (assistantPrefill ?? "");
    }
}
