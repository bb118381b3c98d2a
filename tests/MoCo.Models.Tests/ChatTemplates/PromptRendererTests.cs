using MoCo.Models.ChatTemplates;

namespace MoCo.Models.Tests.ChatTemplates;

public sealed class PromptRendererTests
{
    private static readonly ChatTemplateRequest Conversation = new()
    {
        Messages = [new ChatMessage("system", "Be brief."), new ChatMessage("user", "What is 2+2?")],
    };

    [Fact]
    public void A_model_without_a_template_gets_the_contents_joined_by_newlines_plus_the_prefill()
    {
        Assert.Equal("Be brief.\nWhat is 2+2?The answer", PromptRenderer.Render(null, Conversation, "The answer"));
    }

    [Fact]
    public void The_prefill_follows_the_rendered_generation_prompt_verbatim()
    {
        var template = ChatTemplate.Parse("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}");
        Assert.Equal("<system>Be brief.<user>What is 2+2?<assistant> 4", PromptRenderer.Render(template, Conversation, " 4"));
        Assert.Equal("<system>Be brief.<user>What is 2+2?", PromptRenderer.Render(template, Conversation with { AddGenerationPrompt = false }));
    }
}
