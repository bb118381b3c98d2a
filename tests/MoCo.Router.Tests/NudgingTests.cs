using MoCo.Router.Decoding;

namespace MoCo.Router.Tests;

/// <summary>api_nudging (methods-api.md §1 acceptance) on the real inference service's Decode with the smoke models:
/// a model nudging itself greedily writes the same text whatever gamma, gamma above 1 hands every token to the nudger
/// (so the base model does not matter), the first piece is the nudger's, and no item exceeds its step budget.</summary>
public sealed class NudgingTests(SmokeDecoding smoke) : IClassFixture<SmokeDecoding>
{
    private const string Prompt = "Question: what is 2 + 3?";
    private const string Llama = "smoke-llama";
    private const string Qwen = "smoke-qwen2";
    private const string Mistral = "smoke-mistral";

    // The smoke models share one byte tokenizer (id b = byte b), so pieces are exact bytes and TextSync never re-splits the
    // text.
    private GrpcDecodeBackend Backend => smoke.Backend;

    private Task<NudgedText> NudgeAsync(string baseModel, string nudger, double gamma, bool sample = false, bool append = false) =>
        Nudging.RunAsync(Backend, new NudgingSettings(baseModel, nudger, gamma, MaxSteps: 12, Temperature: 0.7, DoSample: sample, UseKvCache: append),
            Prompt, seed: 5, "test/0", default);

    [Fact]
    public async Task A_model_nudging_itself_greedily_writes_the_same_text_for_any_gamma()
    {
        var texts = new List<NudgedText>();
        foreach (var gamma in new[] { 0.0, 0.4, 1.01 })
        {
            texts.Add(await NudgeAsync(Llama, Llama, gamma));
        }
        Assert.NotEmpty(texts[0].Text);
        Assert.All(texts, t => Assert.Equal(texts[0].Text, t.Text));
        Assert.All(texts, t => Assert.Equal(1, t.Authors[0]));
        Assert.All(texts, t => Assert.True(t.Authors.Count <= 12));
        Assert.All(texts[2].Authors, a => Assert.Equal(1, a));
    }

    [Fact]
    public async Task Above_one_every_piece_is_the_nudgers_so_the_base_model_does_not_matter()
    {
        var withLlama = await NudgeAsync(Llama, Qwen, 1.01);
        var withZero = await NudgeAsync(Mistral, Qwen, 1.01);
        Assert.Equal(withLlama.Text, withZero.Text);
        Assert.All(withLlama.Authors, a => Assert.Equal(1, a));
        // The nudger alone differs from the base alone on this prompt, so the test can tell who wrote.
        Assert.NotEqual((await NudgeAsync(Llama, Llama, 0)).Text, withLlama.Text);
    }

    [Fact]
    public async Task Sampled_draws_are_keyed_on_the_seed_and_append_semantics_match_textsync_on_a_byte_tokenizer()
    {
        var first = await NudgeAsync(Llama, Qwen, 0.4, sample: true);
        Assert.Equal(first, await NudgeAsync(Llama, Qwen, 0.4, sample: true) with { Authors = first.Authors });
        Assert.Equal(first.Text, (await NudgeAsync(Llama, Qwen, 0.4, sample: true, append: true)).Text);
    }

    [Fact]
    public void A_piece_is_what_the_longer_decode_adds()
    {
        Assert.Equal(" world", TextSyncSequence.Piece("hello", "hello world"));
        Assert.Equal("é", TextSyncSequence.Piece("ab\uFFFD", "abé"));
    }

    [Fact]
    public void Search_pairs_are_gamma_major_and_ties_keep_the_earliest()
    {
        Assert.Equal([(0.2, 1), (0.2, 2), (0.3, 1), (0.3, 2), (0.4, 1), (0.4, 2), (0.5, 1), (0.5, 2)], Nudging.Pairs(true, true, 0.4, 0, 1, 3));
        Assert.Equal([(0.4, 2)], Nudging.Pairs(false, false, 0.4, 0, 2, 3));
        Assert.Equal(1, Nudging.Best([0.1, 0.5, 0.5]));
        Assert.Equal(0, Nudging.Best([0.0, 0.0]));
    }
}
