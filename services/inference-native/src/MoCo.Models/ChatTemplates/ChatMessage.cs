namespace MoCo.Models.ChatTemplates;

/// <summary>One turn of a conversation as a chat template sees it: <c>{"role": …, "content": …}</c> plus any
/// extra fields a template reads (tool_calls, tool_call_id, reasoning_content), as JSON-like values.</summary>
/// <param name="Role">system, user, assistant, tool, …</param>
/// <param name="Content">The turn's text.</param>
/// <param name="Fields">Further keys of the message dict, after role and content; null for none.</param>
public sealed record ChatMessage(string Role, string Content, IReadOnlyDictionary<string, object?>? Fields = null)
{
    /// <summary>The message as the dict a template indexes: role, content, then the extra fields.</summary>
    internal Dictionary<string, object?> ToTemplateValue()
    {
        var value = new Dictionary<string, object?> { ["role"] = Role, ["content"] = Content };
        foreach (var (key, field) in Fields ?? new Dictionary<string, object?>())
        {
            value[key] = field;
        }
        return value;
    }
}
