using System.Text.Json;
using MoCo.Models.ChatTemplates;

namespace MoCo.Models.Tests.ChatTemplates;

public sealed class ChatTemplateFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-chat-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Write(string file, object content) => File.WriteAllText(Path.Combine(_dir, file), JsonSerializer.Serialize(content));

    [Fact]
    public void The_template_and_special_tokens_come_from_tokenizer_config()
    {
        Write("tokenizer_config.json", new
        {
            bos_token = new { content = "<s>", lstrip = false },
            eos_token = "</s>",
            pad_token = (string?)null,
            chat_template = "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}",
        });
        var files = ChatTemplateFiles.Load(_dir);
        Assert.Equal(new Dictionary<string, string> { ["bos_token"] = "<s>", ["eos_token"] = "</s>" }, files.SpecialTokens);
        Assert.Equal("tokenizer_config.json", Path.GetFileName(files.TemplateFile));
        Assert.Equal("<s>hi</s>", PromptRenderer.Render(files.Template, new ChatTemplateRequest { Messages = [new("user", "hi")], SpecialTokens = files.SpecialTokens }));
    }

    [Fact]
    public void Chat_template_jinja_wins_and_special_tokens_map_fills_gaps()
    {
        Write("tokenizer_config.json", new { chat_template = "config" });
        Write("special_tokens_map.json", new { eos_token = new { content = "<eos>" } });
        File.WriteAllText(Path.Combine(_dir, "chat_template.jinja"), "file {{ eos_token }}\n");
        var files = ChatTemplateFiles.Load(_dir);
        Assert.Equal("file <eos>", files.Template!.Render(new ChatTemplateRequest { Messages = [], SpecialTokens = files.SpecialTokens }));
    }

    [Fact]
    public void A_list_of_named_templates_uses_default()
    {
        Write("tokenizer_config.json", new { chat_template = new object[] { new { name = "tool_use", template = "tools" }, new { name = "default", template = "plain" } } });
        Assert.Equal("plain", ChatTemplateFiles.Load(_dir).Template!.Source);
    }

    [Fact]
    public void No_template_is_null_and_a_list_without_default_is_a_file_error()
    {
        Write("tokenizer_config.json", new { eos_token = "</s>" });
        Assert.Null(ChatTemplateFiles.Load(_dir).Template);
        Write("tokenizer_config.json", new { chat_template = new object[] { new { name = "rag", template = "x" } } });
        var error = Assert.Throws<InvalidDataException>(() => ChatTemplateFiles.Load(_dir));
        Assert.Contains("tokenizer_config.json", error.Message);
        Assert.Contains("default", error.Message);
    }
}
