using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Requests;
using MoCo.Inference.Tests.Text;
using MoCo.Inference.Text;

namespace MoCo.Inference.Tests.Requests;

[Collection(TextModelsCollection.Name)]
public sealed class ScoreEmbedRequestsTests(TextModels models)
{
    private ModelText Llama => ModelText.Load(models.Dir("llama"));

    [Fact]
    public void A_text_continuation_is_tokenised_without_special_tokens_after_the_prompt()
    {
        var score = ScoreRequests.Prepare(new ScoreRequest { Model = "llama", Prompt = new Prompt { Text = "Q:" }, Continuation = new Continuation { Text = " yes" } }, Llama);
        Assert.Equal(ScoreMode.Continuation, score.Mode);
        Assert.Equal([TextModels.LlamaBos, .. models.Reference.EncodeToIds("Q:")], score.Prompt.TokenIds);
        Assert.Equal(models.Reference.EncodeToIds(" yes"), score.Continuation);
    }

    [Fact]
    public void Classification_scores_the_conversation_as_it_stands()
    {
        var chat = new ChatPrompt { Messages = { new ChatMessage { Role = "user", Content = "Hi" } } };
        var score = ScoreRequests.Prepare(new ScoreRequest { Model = "llama", Mode = ScoreMode.Classification, Prompt = new Prompt { Chat = chat } }, Llama);
        Assert.EndsWith("Hi<|eot_id|>", score.Prompt.RenderedText);
        Assert.Empty(score.Continuation);
    }

    [Fact]
    public void Mode_and_continuation_must_agree()
    {
        var both = Assert.Throws<RpcException>(() => ScoreRequests.Prepare(new ScoreRequest
        {
            Model = "llama", Mode = ScoreMode.Classification, Prompt = new Prompt { Text = "x" }, Continuation = new Continuation { Text = "y" },
        }, Llama));
        Assert.Equal("continuation", Assert.Single(MocoErrors.FieldViolations(both)).Field);
        var none = Assert.Throws<RpcException>(() => ScoreRequests.Prepare(new ScoreRequest { Model = "llama" }, Llama));
        Assert.Equal(["prompt", "continuation"], MocoErrors.FieldViolations(none).Select(v => v.Field));
    }

    [Fact]
    public void Prompt_and_continuation_beyond_the_context_are_prompt_too_long_never_truncated()
    {
        var tokens = new TokenIds();
        tokens.Ids.Add(Enumerable.Repeat(64, TextModels.Context));
        var error = Assert.Throws<RpcException>(() => ScoreRequests.Prepare(new ScoreRequest
        {
            Model = "llama", Prompt = new Prompt { Text = "x" }, Continuation = new Continuation { Tokens = tokens },
        }, Llama));
        Assert.Equal("PROMPT_TOO_LONG", Assert.Single(MocoErrors.ErrorInfos(error)).Reason);

        var bad = Assert.Throws<RpcException>(() => ScoreRequests.Prepare(new ScoreRequest
        {
            Model = "llama", Prompt = new Prompt { Text = "x" }, Continuation = new Continuation { Tokens = new TokenIds { Ids = { 3, -4 } } },
        }, Llama));
        Assert.Equal("continuation.tokens.ids[1]", Assert.Single(MocoErrors.FieldViolations(bad)).Field);
    }

    [Fact]
    public void Embed_defaults_and_truncation()
    {
        var request = new EmbedRequest { Model = "llama", Texts = { "Hello world", string.Concat(Enumerable.Repeat(" a", 100)) } };
        var embed = EmbedRequests.Prepare(request, Llama);
        Assert.Equal((Pooling.Mean, 512, TextModels.Context), (embed.Pooling, embed.PadTo, embed.MaxTokens));
        Assert.Equal([TextModels.LlamaBos, .. models.Reference.EncodeToIds("Hello world")], embed.Inputs[0]);
        Assert.Equal(TextModels.Context, embed.Inputs[1].Count);

        request.AddSpecialTokens = false;
        request.MaxTokens = 1;
        request.Pooling = Pooling.MeanPadded;
        embed = EmbedRequests.Prepare(request, Llama);
        Assert.Equal(models.Reference.EncodeToIds("Hello world").Take(1), embed.Inputs[0]);
    }

    [Fact]
    public void Embed_rejects_empty_and_out_of_range_requests()
    {
        var error = Assert.Throws<RpcException>(() => EmbedRequests.Prepare(new EmbedRequest { Model = "llama", PadTo = 0, MaxTokens = -1 }, Llama));
        Assert.Equal(["texts", "pad_to", "max_tokens"], MocoErrors.FieldViolations(error).Select(v => v.Field));
    }
}
