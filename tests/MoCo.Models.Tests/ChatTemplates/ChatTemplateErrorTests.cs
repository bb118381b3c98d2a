using MoCo.Models.ChatTemplates;

namespace MoCo.Models.Tests.ChatTemplates;

public sealed class ChatTemplateErrorTests
{
    private static ChatTemplateRequest User(string text) => new() { Messages = [new ChatMessage("user", text)] };

    [Fact]
    public void A_syntax_error_names_the_template_and_line()
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("line one\n{% if x %}\nno end", "broken.jinja"));
        Assert.Equal(ChatTemplateErrorKind.Syntax, error.Kind);
        Assert.Contains("endif", error.Message);
        Assert.StartsWith("broken.jinja line 3", error.Message);
    }

    [Fact]
    public void An_unclosed_tag_names_its_line()
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("ok\n\n{{ messages", "t"));
        Assert.Equal((ChatTemplateErrorKind.Syntax, 3), (error.Kind, error.Line));
    }

    [Theory]
    [InlineData("a\n{% include 'other.jinja' %}", "{% include %}", 2)]
    [InlineData("{% extends 'base' %}", "{% extends %}", 1)]
    [InlineData("\n\n{% for x in y recursive %}{% endfor %}", "for … recursive", 3)]
    public void An_unsupported_construct_is_named_with_its_line(string source, string feature, int line)
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source));
        Assert.Equal((ChatTemplateErrorKind.Unsupported, feature, line), (error.Kind, error.Feature, error.Line));
        Assert.Contains("not supported", error.Message);
    }

    [Theory]
    [InlineData("x\n{{ messages|batch(2) }}", "|batch", 2)]
    [InlineData("{{ messages[0].content.zfill(3) }}", "str.zfill()", 1)]
    [InlineData("{{ '%s' % 1 }}", "string % formatting", 1)]
    [InlineData("{% for m in messages %}\n{{ m is sameas2 }}{% endfor %}", "is sameas2", 2)]
    public void An_unsupported_filter_method_or_test_is_named_at_render(string source, string feature, int line)
    {
        var template = ChatTemplate.Parse(source);
        var error = Assert.Throws<ChatTemplateException>(() => template.Render(User("hi")));
        Assert.Equal((ChatTemplateErrorKind.Unsupported, feature, line), (error.Kind, error.Feature, error.Line));
    }

    [Fact]
    public void Raise_exception_carries_the_template_message()
    {
        var template = ChatTemplate.Parse("{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}", "gemma.jinja");
        var error = Assert.Throws<ChatTemplateException>(() => template.Render(new ChatTemplateRequest { Messages = [new ChatMessage("system", "s")] }));
        Assert.Equal((ChatTemplateErrorKind.Raised, "System role not supported", 1), (error.Kind, error.Problem, error.Line));
        Assert.Equal("gemma.jinja line 1: the template rejected the conversation: System role not supported", error.Message);
    }

    [Fact]
    public void Templates_see_tools_and_documents_as_defined_none_as_transformers_passes_them()
    {
        var template = ChatTemplate.Parse("{{ tools is defined }} {{ tools is none }} {{ documents is none }} {{ add_generation_prompt }} {{ bos_token }}");
        var request = User("x") with { SpecialTokens = new Dictionary<string, string> { ["bos_token"] = "<s>" } };
        Assert.Equal("True True True True <s>", template.Render(request));
    }

    [Fact]
    public void Extra_variables_override_special_tokens()
    {
        var template = ChatTemplate.Parse("{{ bos_token }}|{{ enable_thinking }}");
        var request = User("x") with
        {
            SpecialTokens = new Dictionary<string, string> { ["bos_token"] = "<s>" },
            Variables = new Dictionary<string, object?> { ["bos_token"] = "[B]", ["enable_thinking"] = false },
        };
        Assert.Equal("[B]|False", template.Render(request));
    }
}
