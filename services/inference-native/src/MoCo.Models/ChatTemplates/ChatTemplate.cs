using MoCo.Models.ChatTemplates.Jinja;

namespace MoCo.Models.ChatTemplates;

/// <summary>
/// A model's Jinja chat template (tokenizer_config.json's chat_template or chat_template.jinja), rendered the
/// way Hugging Face transformers renders it: jinja2's ImmutableSandboxedEnvironment with trim_blocks and
/// lstrip_blocks, transformers' tojson, raise_exception and strftime_now, and the variables messages, tools,
/// documents, add_generation_prompt and the tokenizer's special tokens (bos_token, eos_token, …).
/// Parse once per model; rendering is thread-safe.
/// </summary>
public sealed class ChatTemplate
{
    private readonly JinjaTemplate _template;

    private ChatTemplate(string source, JinjaTemplate template)
    {
        Source = source;
        _template = template;
    }

    /// <summary>The template text.</summary>
    public string Source { get; }

    /// <summary>The name errors use (usually the file the template came from).</summary>
    public string Name => _template.Name;

    /// <summary>Parses <paramref name="source"/>.</summary>
    /// <exception cref="ChatTemplateException">The template is not valid Jinja, or uses a construct this renderer does not support (named, with its line).</exception>
    public static ChatTemplate Parse(string source, string name = "chat_template")
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(source, JinjaTemplate.Parse(source, name));
    }

    /// <summary>Renders a conversation to the prompt text the model is trained on.</summary>
    /// <exception cref="ChatTemplateException">The template rejected the conversation (raise_exception) or failed as jinja2 would.</exception>
    public string Render(ChatTemplateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Same variables, in the same precedence, as transformers' apply_chat_template: tools and documents
        // are always defined (None when absent); the special tokens, then the caller's extra variables.
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = request.Messages.Select(m => m.ToTemplateValue()).ToList(),
            ["tools"] = request.Tools,
            ["documents"] = request.Documents,
            ["add_generation_prompt"] = request.AddGenerationPrompt,
        };
        foreach (var (name, token) in request.SpecialTokens)
        {
            variables[name] = token;
        }
        foreach (var (name, value) in request.Variables)
        {
            variables[name] = value;
        }
        return _template.Render(variables, request.Clock ?? (() => DateTime.Now));
    }
}

/// <summary>What a chat template is rendered with.</summary>
public sealed record ChatTemplateRequest
{
    /// <summary>The conversation.</summary>
    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>Whether to open the assistant turn after the last message (default true, as in contracts.md ChatPrompt).</summary>
    public bool AddGenerationPrompt { get; init; } = true;

    /// <summary>The tokenizer's special tokens by transformers' names: bos_token, eos_token, unk_token, pad_token, … (see <see cref="ChatTemplateFiles"/>).</summary>
    public IReadOnlyDictionary<string, string> SpecialTokens { get; init; } = new Dictionary<string, string>();

    /// <summary>Tool schemas (JSON-like values), or null: templates see <c>tools</c> as None then.</summary>
    public object? Tools { get; init; }

    /// <summary>Retrieval documents (JSON-like values), or null.</summary>
    public object? Documents { get; init; }

    /// <summary>Extra template variables (transformers' **kwargs: enable_thinking, date_string, …); they win over everything else.</summary>
    public IReadOnlyDictionary<string, object?> Variables { get; init; } = new Dictionary<string, object?>();

    /// <summary>The clock strftime_now reads (local time when null); tests fix it so dated templates render reproducibly.</summary>
    public Func<DateTime>? Clock { get; init; }
}
