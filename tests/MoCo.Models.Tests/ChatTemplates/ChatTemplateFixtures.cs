using System.Globalization;
using System.Text.Json;
using MoCo.Models.ChatTemplates;

namespace MoCo.Models.Tests.ChatTemplates;

/// <summary>The committed chat-template fixtures: real model templates (templates/, provenance in
/// PROVENANCE.md), the conversations they are rendered with, and the jinja2 goldens
/// (tools/chat-templates/render_with_jinja2.py).</summary>
internal static class ChatTemplateFixtures
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "ChatTemplates", "Fixtures");

    public static JsonElement Templates { get; } = Load("templates.json");

    public static JsonElement Conversations { get; } = Load("conversations.json");

    public static DateTime Clock { get; } = DateTime.Parse(Conversations.GetProperty("clock").GetString()!, CultureInfo.InvariantCulture);

    public static string TemplateSource(string file) => File.ReadAllText(Path.Combine(Directory, "templates", file));

    public static JsonElement Golden(string file) => Load(Path.Combine("goldens", Path.GetFileNameWithoutExtension(file) + ".json"));

    public static JsonElement Case(string name) =>
        Conversations.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    public static IReadOnlyDictionary<string, string> SpecialTokens(string file) =>
        Templates.GetProperty(file).GetProperty("special_tokens").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);

    /// <summary>The request transformers would build for a fixture conversation.</summary>
    public static ChatTemplateRequest Request(string file, JsonElement conversation, bool addGenerationPrompt) => new()
    {
        Messages = [.. conversation.GetProperty("messages").EnumerateArray().Select(Message)],
        AddGenerationPrompt = addGenerationPrompt,
        SpecialTokens = SpecialTokens(file),
        Tools = conversation.TryGetProperty("tools", out var tools) ? tools : null,
        Variables = conversation.TryGetProperty("variables", out var variables)
            ? variables.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value)
            : new Dictionary<string, object?>(),
        Clock = () => Clock,
    };

    public static string? Prefill(JsonElement conversation) =>
        conversation.TryGetProperty("assistant_prefill", out var prefill) ? prefill.GetString() : null;

    private static ChatMessage Message(JsonElement m) => new(
        m.GetProperty("role").GetString()!,
        m.GetProperty("content").GetString()!,
        m.EnumerateObject().Where(p => p.Name is not ("role" or "content")).ToDictionary(p => p.Name, p => (object?)p.Value));

    private static JsonElement Load(string relative)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, relative)));
        return document.RootElement.Clone();
    }
}
