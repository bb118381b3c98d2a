using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;

namespace MoCo.Inference.Tests.Text;

[Collection(TextModelsCollection.Name)]
public sealed class TextErrorTests(TextModels models) : IAsyncLifetime
{
    private readonly TextServiceHost _host = new(models);

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private async Task<RpcException> TokenizeFails(string model, params Prompt[] inputs)
    {
        var request = new TokenizeRequest { Model = Path.Combine(models.Root, model) };
        request.Inputs.Add(inputs);
        return await Assert.ThrowsAsync<RpcException>(async () => await _host.Client.TokenizeAsync(request));
    }

    private static Prompt Chat(string role, string content) => new() { Chat = new ChatPrompt { Messages = { new ChatMessage { Role = role, Content = content } } } };

    [Fact]
    public async Task An_unknown_model_is_not_found()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await _host.Client.DetokenizeAsync(new DetokenizeRequest { Model = "nobody/nothing" }));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task A_model_without_tokenizer_json_is_a_failed_precondition_naming_the_file()
    {
        var error = await TokenizeFails("no-tokenizer", new Prompt { Text = "hi" });
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains(Path.Combine(models.Dir("no-tokenizer"), "tokenizer.json"), error.Status.Detail);
        Assert.Equal("TOKENIZER_MISSING", Assert.Single(MocoErrors.ErrorInfos(error)).Reason);
    }

    [Fact]
    public async Task An_unsupported_tokenizer_model_is_unimplemented_naming_the_feature()
    {
        var error = await TokenizeFails("unigram", new Prompt { Text = "hi" });
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Contains("Unigram", error.Status.Detail);
        var info = Assert.Single(MocoErrors.ErrorInfos(error));
        Assert.Equal(("NOT_IMPLEMENTED", "model.type"), (info.Reason, info.Metadata["feature"]));
    }

    [Fact]
    public async Task An_unsupported_template_feature_is_unimplemented_but_text_prompts_still_work()
    {
        var error = await TokenizeFails("exotic-template", Chat("user", "hi"));
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Contains("frobnicate", Assert.Single(MocoErrors.ErrorInfos(error)).Metadata["feature"]);

        var request = new TokenizeRequest { Model = models.Dir("exotic-template"), Inputs = { new Prompt { Text = "hi" } } };
        Assert.Equal(models.Reference.EncodeToIds("hi"), (await _host.Client.TokenizeAsync(request)).Results[0].TokenIds);
    }

    [Fact]
    public async Task A_conversation_the_template_rejects_is_an_invalid_argument_naming_the_input()
    {
        var error = await TokenizeFails("rejecting", new Prompt { Text = "fine" }, Chat("system", "x"));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("inputs[1].chat", Assert.Single(MocoErrors.FieldViolations(error)).Field);
        Assert.Contains("System role not supported", error.Status.Detail);
    }

    [Fact]
    public async Task Empty_prompts_and_conversations_name_the_input()
    {
        var error = await TokenizeFails("qwen", new Prompt { Text = "ok" }, new Prompt());
        Assert.Equal(("inputs[1]", "MISSING_FIELD"), (Assert.Single(MocoErrors.FieldViolations(error)).Field, MocoErrors.ErrorInfos(error)[0].Reason));
        error = await TokenizeFails("qwen", new Prompt { Chat = new ChatPrompt() });
        Assert.Equal("inputs[0].chat.messages", Assert.Single(MocoErrors.FieldViolations(error)).Field);
    }

    [Fact]
    public async Task Ids_outside_the_vocabulary_are_invalid_naming_sequence_and_position()
    {
        var request = new DetokenizeRequest { Model = models.Dir("qwen") };
        request.Sequences.Add(new TokenIds { Ids = { 1, 2 } });
        request.Sequences.Add(new TokenIds { Ids = { 1, 2, 999_999 } });
        var error = await Assert.ThrowsAsync<RpcException>(async () => await _host.Client.DetokenizeAsync(request));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("sequences[1].ids[2]", Assert.Single(MocoErrors.FieldViolations(error)).Field);
        Assert.Equal("BAD_TOKEN_ID", MocoErrors.ErrorInfos(error)[0].Reason);

        var tokens = await TokenizeFails("qwen", new Prompt { Tokens = new TokenIds { Ids = { -1 } } });
        Assert.Equal("inputs[0].tokens.ids[0]", Assert.Single(MocoErrors.FieldViolations(tokens)).Field);
    }

    [Fact]
    public async Task A_result_larger_than_a_message_is_resource_exhausted_with_the_fix()
    {
        var text = string.Concat(Enumerable.Repeat(" a", 400_000));
        var request = new TokenizeRequest { Model = models.Dir("qwen"), Offsets = true, Inputs = { new Prompt { Text = text }, new Prompt { Text = text } } };
        var error = await Assert.ThrowsAsync<RpcException>(async () => await _host.Client.TokenizeAsync(request));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal("MESSAGE_TOO_LARGE", Assert.Single(MocoErrors.ErrorInfos(error)).Reason);
        Assert.Contains("smaller parts", error.Status.Detail);
    }
}
