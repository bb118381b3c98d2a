using MoCo.Models.ChatTemplates;

namespace MoCo.Models.Tests.ChatTemplates;

/// <summary>Every real template × conversation × add_generation_prompt renders byte-identically to jinja2 as
/// transformers configures it, including the conversations a template rejects with raise_exception.</summary>
public sealed class ChatTemplateGoldenTests
{
    public static TheoryData<string, string, bool> Renders()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var template in ChatTemplateFixtures.Templates.EnumerateObject())
        {
            foreach (var entry in ChatTemplateFixtures.Golden(template.Name).GetProperty("cases").EnumerateArray())
            {
                data.Add(template.Name, entry.GetProperty("case").GetString()!, entry.GetProperty("add_generation_prompt").GetBoolean());
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Renders))]
    public void Renders_like_jinja2(string templateFile, string caseName, bool addGenerationPrompt)
    {
        var expected = ChatTemplateFixtures.Golden(templateFile).GetProperty("cases").EnumerateArray()
            .Single(c => c.GetProperty("case").GetString() == caseName && c.GetProperty("add_generation_prompt").GetBoolean() == addGenerationPrompt);
        var conversation = ChatTemplateFixtures.Case(caseName);
        var template = ChatTemplate.Parse(ChatTemplateFixtures.TemplateSource(templateFile), templateFile);
        var request = ChatTemplateFixtures.Request(templateFile, conversation, addGenerationPrompt);

        if (expected.TryGetProperty("error", out var error))
        {
            var failure = Assert.Throws<ChatTemplateException>(() => PromptRenderer.Render(template, request, ChatTemplateFixtures.Prefill(conversation)));
            if (expected.GetProperty("error_type").GetString() == "TemplateError")
            {
                Assert.Equal(ChatTemplateErrorKind.Raised, failure.Kind);
                Assert.Equal(error.GetString(), failure.Problem);
            }
            else
            {
                Assert.Equal(ChatTemplateErrorKind.Runtime, failure.Kind);
            }
            return;
        }
        var rendered = PromptRenderer.Render(template, request, ChatTemplateFixtures.Prefill(conversation));
        Assert.Equal(expected.GetProperty("output").GetString(), rendered);
    }
}
