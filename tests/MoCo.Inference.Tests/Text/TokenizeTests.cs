using System.Text;
using MoCo.Contracts.V1;

namespace MoCo.Inference.Tests.Text;

[Collection(TextModelsCollection.Name)]
public sealed class TokenizeTests(TextModels models) : IAsyncLifetime
{
    private const string Qwen = "Qwen--Qwen2.5-7B-Instruct.jinja";
    private const string Llama = "meta-llama--Llama-3.3-70B-Instruct.jinja";
    private readonly TextServiceHost _host = new(models);

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private Task<TokenizeResponse> Tokenize(string model, IEnumerable<Prompt> inputs, BosMode bos = BosMode.Unspecified, bool offsets = false, bool? addSpecial = null)
    {
        var request = new TokenizeRequest { Model = Path.Combine(models.Root, model), InputSettings = new InputSettings { Bos = bos }, Offsets = offsets, AddSpecialTokens = addSpecial };
        request.Inputs.Add(inputs);
        return _host.Client.TokenizeAsync(request).ResponseAsync;
    }

    private static Prompt Text(string text) => new() { Text = text };

    private static Prompt Chat(string @case, string prefill = "", bool? addGenerationPrompt = null)
    {
        var chat = new ChatPrompt { AssistantPrefill = prefill, AddGenerationPrompt = addGenerationPrompt };
        chat.Messages.Add(TextModels.Conversation(@case));
        return new Prompt { Chat = chat };
    }

    [Fact]
    public async Task Raw_text_gets_the_reference_tokenizers_ids_in_request_order()
    {
        string[] texts = ["Hello, world! How's it going?", "  spaces\tand\nnewlines  ", "Ünïcödé 日本語 🙂", ""];
        var reply = await Tokenize("qwen", texts.Select(Text));
        Assert.Equal(texts.Length, reply.Results.Count);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(texts[i], reply.Results[i].RenderedText);
            Assert.Equal(models.Reference.EncodeToIds(texts[i]), reply.Results[i].TokenIds);
            Assert.Empty(reply.Results[i].Offsets);
        }
    }

    [Fact]
    public async Task Chat_renders_the_models_template_exactly_and_tokenises_its_special_tokens()
    {
        var reply = await Tokenize("qwen", [Chat("user"), Chat("multi_turn")]);
        for (var i = 0; i < 2; i++)
        {
            var golden = TextModels.Golden(Qwen, i == 0 ? "user" : "multi_turn", addGenerationPrompt: true);
            Assert.Equal(golden, reply.Results[i].RenderedText);
            Assert.Equal(models.Reference.EncodeToIds(golden), reply.Results[i].TokenIds);
        }
        Assert.Equal(TextModels.Specials["<|im_start|>"], reply.Results[0].TokenIds[0]);
    }

    [Fact]
    public async Task The_assistant_prefill_continues_the_generation_prompt_and_the_prompt_can_be_left_closed()
    {
        var reply = await Tokenize("qwen", [Chat("user", prefill: "The capital is"), Chat("user", addGenerationPrompt: false)]);
        Assert.Equal(TextModels.Golden(Qwen, "user", true) + "The capital is", reply.Results[0].RenderedText);
        Assert.Equal(TextModels.Golden(Qwen, "user", false), reply.Results[1].RenderedText);
    }

    [Fact]
    public async Task A_model_without_a_template_gets_the_contents_joined_by_newlines_plus_the_prefill()
    {
        var reply = await Tokenize("plain", [Chat("multi_turn", prefill: "Sure:")]);
        var expected = string.Join("\n", TextModels.Conversation("multi_turn").Select(m => m.Content)) + "Sure:";
        Assert.Equal(expected, reply.Results[0].RenderedText);
        Assert.Equal(models.Reference.EncodeToIds(expected), reply.Results[0].TokenIds);
    }

    [Fact]
    public async Task A_template_that_writes_bos_gets_it_once_and_the_reference_mode_twice()
    {
        var golden = TextModels.Golden(Llama, "user", true);
        var single = (await Tokenize("llama", [Chat("user")])).Results[0];
        Assert.Equal(golden, single.RenderedText);
        Assert.Equal(models.Reference.EncodeToIds(golden), single.TokenIds);
        Assert.Equal(1, single.TokenIds.Count(id => id == TextModels.LlamaBos));

        var twice = (await Tokenize("llama", [Chat("user")], BosMode.TemplatePlusSpecial)).Results[0];
        Assert.Equal(new[] { TextModels.LlamaBos, TextModels.LlamaBos }, twice.TokenIds.Take(2));
        Assert.Equal(single.TokenIds, twice.TokenIds.Skip(1));
    }

    [Fact]
    public async Task Text_gets_the_tokenizers_bos_unless_it_starts_with_one_or_bos_is_none()
    {
        var text = "Hello world";
        var reply = await Tokenize("llama", [Text(text), Text("<|begin_of_text|>" + text)]);
        int[] expected = [TextModels.LlamaBos, .. models.Reference.EncodeToIds(text)];
        Assert.Equal(expected, reply.Results[0].TokenIds);
        Assert.Equal(expected, reply.Results[1].TokenIds);

        var none = await Tokenize("llama", [Text(text)], BosMode.None);
        Assert.Equal(models.Reference.EncodeToIds(text), none.Results[0].TokenIds);

        var qwen = await Tokenize("qwen", [Text(text)]);
        Assert.Equal(models.Reference.EncodeToIds(text), qwen.Results[0].TokenIds);
    }

    [Fact]
    public async Task SentencePiece_text_matches_the_tokenizers_library_goldens()
    {
        var cases = Goldens().Take(12).ToList();
        var reply = await Tokenize("mistral", cases.Select(c => Text(c.Text)));
        for (var i = 0; i < cases.Count; i++)
        {
            Assert.Equal(cases[i].Ids, reply.Results[i].TokenIds);
        }
    }

    [Fact]
    public async Task Token_prompts_are_used_as_they_are_and_decoded_for_the_rendered_text()
    {
        int[] ids = [.. models.Reference.EncodeToIds("Hello world")];
        var reply = await Tokenize("llama", [new Prompt { Tokens = new TokenIds { Ids = { ids } } }]);
        Assert.Equal(ids, reply.Results[0].TokenIds);
        Assert.Equal("Hello world", reply.Results[0].RenderedText);
    }

    [Theory]
    [InlineData("qwen", "Hello, wörld! 日本語 🙂 tabs\tand  spaces")]
    [InlineData("llama", "Hello world")]
    [InlineData("mistral", "Hello, wörld! 日本語 and   spaces")]
    public async Task Offsets_give_each_tokens_utf8_span_of_the_rendered_text(string model, string text)
    {
        var result = (await Tokenize(model, [Text(text)], offsets: true)).Results[0];
        Assert.Equal(result.TokenIds.Count, result.Offsets.Count);
        var bytes = Encoding.UTF8.GetBytes(result.RenderedText);
        var (start, end) = (0, 0);
        foreach (var o in result.Offsets)
        {
            Assert.True(o.Start <= o.End && o.End <= bytes.Length && o.Start >= 0, $"{o.Start}..{o.End}");
            // Tokens sharing one multi-byte character share its span; otherwise spans follow each other.
            Assert.True(o.Start >= start && o.Start <= end, $"span {o.Start}..{o.End} after {start}..{end}");
            (start, end) = (o.Start, Math.Max(end, o.End));
        }
        Assert.Equal(bytes.Length, end);
        if (model == "llama")
        {
            Assert.Equal((0, 0), (result.Offsets[0].Start, result.Offsets[0].End));
            Assert.Equal("Hello", Encoding.UTF8.GetString(bytes[result.Offsets[1].Start..result.Offsets[1].End]));
            Assert.Equal(" world", Encoding.UTF8.GetString(bytes[result.Offsets[2].Start..result.Offsets[2].End]));
        }
    }

    [Fact]
    public async Task Detokenize_round_trips_and_honours_skip_special_tokens_and_clean_up()
    {
        var cases = Goldens().Take(12).ToList();
        var request = new DetokenizeRequest { Model = Path.Combine(models.Root, "mistral") };
        request.Sequences.Add(cases.Select(c => new TokenIds { Ids = { c.Ids } }));
        var reply = await _host.Client.DetokenizeAsync(request);
        Assert.Equal(cases.Select(c => c.Decoded), reply.Texts);

        request.SkipSpecialTokens = true;
        reply = await _host.Client.DetokenizeAsync(request);
        Assert.Equal(cases.Select(c => c.DecodedSkipping), reply.Texts);

        var chat = await Tokenize("qwen", [Chat("user")]);
        var back = new DetokenizeRequest { Model = Path.Combine(models.Root, "qwen"), Sequences = { new TokenIds { Ids = { chat.Results[0].TokenIds } } } };
        Assert.Equal(chat.Results[0].RenderedText, (await _host.Client.DetokenizeAsync(back)).Texts[0]);

        var spaced = new DetokenizeRequest { Model = Path.Combine(models.Root, "qwen"), CleanUpSpaces = true, Sequences = { new TokenIds { Ids = { models.Reference.EncodeToIds("Hi , there .") } } } };
        Assert.Equal("Hi, there.", (await _host.Client.DetokenizeAsync(spaced)).Texts[0]);
        spaced.CleanUpSpaces = false;
        Assert.Equal("Hi , there .", (await _host.Client.DetokenizeAsync(spaced)).Texts[0]);
    }

    private static IEnumerable<(string Text, int[] Ids, string Decoded, string DecodedSkipping)> Goldens()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(TextModels.SentencePieceData, "goldens.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => (
            c.GetProperty("text").GetString()!,
            c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("decoded").GetString()!,
            c.GetProperty("decodedSkippingSpecialTokens").GetString()!)).ToList();
    }
}
