using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Models.ChatTemplates;

namespace MoCo.Inference.Text;

/// <summary>
/// The one path from a contract Prompt to ids (contracts.md §2 Prompt and InputSettings, methods-text.md §0.3):
/// chat messages through the model's template (or joined by "\n" without one) plus the assistant prefill, raw
/// text as it is, token ids as they are. Tokenize, Generate and Score all call this, so Tokenize shows exactly the
/// ids a generation starts from.
/// </summary>
/// <remarks>
/// BOS (InputSettings.bos) concerns only a BOS the tokenizer itself adds (<see cref="ModelText.AddsBos"/>):
/// SINGLE puts it first unless the rendered text already starts with it (a template's own BOS, so never twice);
/// TEMPLATE_PLUS_SPECIAL re-tokenises the rendered text with every special token added, as the reference does
/// (Llama 3 chat gets BOS twice); NONE adds none (a BOS written in the text stays). The post-processor's other
/// tokens follow add_special_tokens. A token prompt is used as it is, whatever the settings.
/// </remarks>
public static class PromptEncoder
{
    /// <summary>Renders and encodes <paramref name="prompt"/>.</summary>
    /// <param name="text">The model's text component.</param>
    /// <param name="model">The model name, for errors.</param>
    /// <param name="prompt">The prompt.</param>
    /// <param name="settings">BOS, special tokens and offsets.</param>
    /// <param name="field">The request path of <paramref name="prompt"/>, e.g. "inputs[2]" or "prompt".</param>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT for a prompt without a form, an empty conversation, a
    /// conversation the template rejects or an id outside the vocabulary; the template's other failures (<see cref="TextErrors.Template"/>).</exception>
    public static EncodedPrompt Encode(ModelText text, string model, Prompt prompt, PromptSettings settings, string field)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(settings);
        return prompt.FormCase switch
        {
            Prompt.FormOneofCase.Text => EncodeText(text, prompt.Text, isChat: false, settings),
            Prompt.FormOneofCase.Chat => EncodeText(text, Render(text, model, prompt.Chat, field + ".chat"), isChat: true, settings),
            Prompt.FormOneofCase.Tokens => EncodeTokens(text, model, prompt.Tokens.Ids, settings, field + ".tokens.ids"),
            _ => throw MocoErrors.InvalidArgument(new Problem(field, "MISSING_FIELD", "the prompt is empty: set chat, text or tokens")),
        };
    }

    /// <summary>The text a chat prompt renders to: the template applied (with add_generation_prompt, unset = true),
    /// then the assistant prefill verbatim; a model without a template gets the contents joined by "\n" plus the prefill.</summary>
    public static string Render(ModelText text, string model, ChatPrompt chat, string field)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(chat);
        if (chat.Messages.Count == 0)
        {
            throw MocoErrors.InvalidArgument(new Problem(field + ".messages", "MISSING_FIELD", "a chat prompt needs at least one message"));
        }
        try
        {
            var request = new ChatTemplateRequest
            {
                Messages = [.. chat.Messages.Select(m => new MoCo.Models.ChatTemplates.ChatMessage(m.Role, m.Content))],
                AddGenerationPrompt = chat.AddGenerationPrompt ?? true,
                SpecialTokens = text.Templates?.SpecialTokens ?? new Dictionary<string, string>(),
            };
            return PromptRenderer.Render(text.ChatTemplate, request, chat.AssistantPrefill);
        }
        catch (ChatTemplateException e)
        {
            throw TextErrors.Template(model, field, e);
        }
    }

    private static EncodedPrompt EncodeText(ModelText text, string rendered, bool isChat, PromptSettings settings)
    {
        var content = text.Tokenizer.Encode(rendered, addSpecialTokens: false);
        var bos = text.BosId;
        var startsWithBos = content.Length > 0 && content[0] == bos;
        var addSpecial = settings.AddSpecialTokens ?? !isChat;
        var prefix = new List<int>();
        foreach (var id in text.SpecialPrefix)
        {
            var keep = id == bos && text.AddsBos
                ? settings.Bos switch
                {
                    BosMode.TemplatePlusSpecial => true,
                    BosMode.None => false,
                    _ => !startsWithBos && !prefix.Contains(id),
                }
                : addSpecial || settings.Bos == BosMode.TemplatePlusSpecial;
            if (keep)
            {
                prefix.Add(id);
            }
        }
        var suffix = addSpecial || settings.Bos == BosMode.TemplatePlusSpecial ? text.SpecialSuffix : [];
        var ids = new List<int>(prefix.Count + content.Length + suffix.Count);
        ids.AddRange(prefix);
        ids.AddRange(content);
        ids.AddRange(suffix);
        return new EncodedPrompt(ids, rendered, settings.Offsets ? TokenOffsets.Compute(text.Tokenizer, rendered, content, prefix.Count, suffix.Count) : null);
    }

    private static EncodedPrompt EncodeTokens(ModelText text, string model, IReadOnlyList<int> ids, PromptSettings settings, string field)
    {
        for (var j = 0; j < ids.Count; j++)
        {
            if (!text.IsValidId(ids[j]))
            {
                throw TextErrors.BadTokenId(model, $"{field}[{j}]", ids[j], text);
            }
        }
        var array = ids.ToArray();
        var rendered = text.Tokenizer.Decode(array, skipSpecialTokens: false, cleanUpSpaces: false);
        return new EncodedPrompt(array, rendered, settings.Offsets ? TokenOffsets.Compute(text.Tokenizer, rendered, array, 0, 0) : null);
    }
}
