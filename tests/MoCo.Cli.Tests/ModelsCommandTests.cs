using MoCo.Testing.Models;
using System.Text;
using System.Text.Json;

namespace MoCo.Cli.Tests;

public sealed class ModelsCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("moco-cli-models-").FullName;
    private readonly string _models;
    private readonly string _source;

    public ModelsCommandTests()
    {
        _models = Path.Combine(_root, "models");
        _source = Path.Combine(_root, "incoming", "tiny-chat");
        Directory.CreateDirectory(_models);
        Directory.CreateDirectory(_source);
        HfModelFiles.Write(_source, "config.json", new { architectures = new[] { "Qwen2ForCausalLM" }, torch_dtype = "bfloat16", max_position_embeddings = 4096, vocab_size = 64, tie_word_embeddings = true, _name_or_path = "acme/tiny-chat" });
        HfModelFiles.Write(_source, "generation_config.json", new { eos_token_id = new[] { 3, 4 }, temperature = 0.7, top_p = 0.8 });
        HfModelFiles.Write(_source, "tokenizer_config.json", new { eos_token = "<|im_end|>", chat_template = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}" });
        HfModelFiles.Write(_source, "tokenizer.json", new { model = new { type = "BPE", vocab = new { a = 0 }, merges = Array.Empty<string>() }, pre_tokenizer = new { type = "ByteLevel" } });
        HfModelFiles.WriteSafetensors(Path.Combine(_source, "model.safetensors"), new() { ["model.embed_tokens.weight"] = [64, 8], ["lm_head.weight"] = [64, 8], ["model.norm.weight"] = [8] }, "BF16");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await MocoCommandLine.InvokeAsync([.. args, "--models-dir", _models], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Pull_from_dir_then_list_and_info_describe_the_model()
    {
        var (pullCode, pullOut, pullErr) = await Run("models", "pull-from-dir", _source);
        Assert.True(pullCode == 0, pullErr);
        Assert.Contains("acme/tiny-chat: causal-lm Qwen2ForCausalLM", pullOut);
        Assert.True(File.Exists(Path.Combine(_models, "acme--tiny-chat", "model.safetensors")));

        var (listCode, listOut, _) = await Run("models", "list", "--json");
        Assert.Equal(0, listCode);
        using var list = JsonDocument.Parse(listOut);
        var row = list.RootElement.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "acme/tiny-chat");
        Assert.Equal(("causal-lm", 64L * 8 + 8, "bfloat16", 4096, "BPE (byte-level)", "catalogue"),
            (row.GetProperty("kind").GetString(), row.GetProperty("parameters").GetInt64(), row.GetProperty("dtype").GetString(),
             row.GetProperty("context").GetInt32(), row.GetProperty("tokenizer").GetString(), row.GetProperty("rule").GetString()));

        var (infoCode, infoOut, _) = await Run("models", "info", "acme/tiny-chat", "--json");
        Assert.Equal(0, infoCode);
        using var info = JsonDocument.Parse(infoOut);
        var root = info.RootElement;
        Assert.Equal(64, root.GetProperty("fingerprint").GetString()!.Length);
        Assert.EndsWith("tokenizer_config.json", root.GetProperty("chat_template").GetString());
        Assert.Equal([3, 4], root.GetProperty("generation").GetProperty("eos_token_ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Contains(root.GetProperty("trace").EnumerateArray(), s => s.GetString()!.Contains("(matched)", StringComparison.Ordinal));

        var (textCode, text, _) = await Run("models", "info", "acme/tiny-chat");
        Assert.Equal(0, textCode);
        Assert.Contains("resolution trace:", text);
        Assert.Contains("temperature 0.7", text);
    }

    [Fact]
    public async Task An_alias_resolves_to_its_target_and_an_unknown_target_is_refused()
    {
        Assert.Equal(0, (await Run("models", "pull-from-dir", _source, "--name", "tiny", "--link")).Code);
        var (aliasCode, aliasOut, _) = await Run("models", "alias", "judge", "tiny");
        Assert.Equal(0, aliasCode);
        Assert.Contains("judge → tiny", aliasOut);
        using var info = JsonDocument.Parse((await Run("models", "info", "judge", "--json")).Out);
        Assert.StartsWith("alias tiny", info.RootElement.GetProperty("rule").GetString());

        var (code, _, error) = await Run("models", "alias", "other", "nobody/none");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("CFG009", error);
    }

    [Fact]
    public async Task An_unknown_name_exits_2_listing_every_place_searched()
    {
        var (code, _, error) = await Run("models", "info", "nobody/none");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("CFG009", error);
        Assert.Contains(Path.Combine(_models, "catalogue.json"), error);
        Assert.Contains(Path.Combine(_models, "nobody--none"), error);
        Assert.Contains("fix:", error);
    }

    [Fact]
    public async Task A_directory_that_is_not_a_model_is_refused_by_pull_from_dir()
    {
        var (code, _, error) = await Run("models", "pull-from-dir", Path.Combine(_root, "incoming"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("not a model directory", error);
    }
}
