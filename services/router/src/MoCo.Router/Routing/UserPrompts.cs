using MoCo.Contracts.V1;

namespace MoCo.Router.Routing;

/// <summary>Prompt assembly of StdGen (methods-api.md §0.2) and of the training examples built from such prompts: one
/// user turn, the text after the first `&lt;begin&gt;` as the assistant's prefill.</summary>
public static class UserPrompts
{
    private const string Begin = "<begin>";

    /// <summary>(user message, prefill) of <paramref name="prompt"/>.</summary>
    public static (string User, string Prefill) Split(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var at = prompt.IndexOf(Begin, StringComparison.Ordinal);
        return at < 0 ? (prompt, "") : (prompt[..at], prompt[(at + Begin.Length)..]);
    }

    /// <summary><paramref name="prompt"/> as the chat prompt the inference service renders.</summary>
    public static Prompt Of(string prompt)
    {
        var (user, prefill) = Split(prompt);
        var chat = new ChatPrompt { AssistantPrefill = prefill };
        chat.Messages.Add(new ChatMessage { Role = "user", Content = user });
        return new Prompt { Chat = chat };
    }
}
