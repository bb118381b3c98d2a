using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Requests;
using MoCo.Inference.Tests.Text;
using MoCo.Inference.Text;

namespace MoCo.Inference.Tests.Requests;

[Collection(TextModelsCollection.Name)]
public sealed class GenerateRequestsTests(TextModels models)
{
    private static readonly RequestLimits Limits = new();

    // generation_config.json of "qwen": eos [50258, 50256], temperature 0.7, top_p 0.8, max_new_tokens 10; context 64.
    private ModelText Qwen => ModelText.Load(models.Dir("qwen"));

    private static GenerateRequest Request(string text = "Hello world", SamplingParams? sampling = null, InputSettings? settings = null) =>
        new() { Model = "qwen", Prompt = new Prompt { Text = text }, Sampling = sampling, InputSettings = settings };

    private EffectiveGenerate Prepare(GenerateRequest request) => GenerateRequests.Prepare(request, Qwen, Limits, () => 42);

    private RpcException Fails(GenerateRequest request) => Assert.Throws<RpcException>(() => Prepare(request));

    [Theory]
    [InlineData("temperature", -0.5f, "sampling.temperature must be >= 0 (0 = greedy), got -0.5")]
    [InlineData("temperature", float.NaN, "sampling.temperature must be >= 0 (0 = greedy), got NaN")]
    [InlineData("top_p", 1.5f, "sampling.top_p must be in (0, 1] (1 = off), got 1.5")]
    [InlineData("top_p", 0f, "sampling.top_p must be in (0, 1] (1 = off), got 0")]
    [InlineData("min_p", 1.5f, "sampling.min_p must be in [0, 1] (0 = off), got 1.5")]
    [InlineData("min_p", -0.1f, "sampling.min_p must be in [0, 1] (0 = off), got -0.1")]
    [InlineData("repetition_penalty", 0f, "sampling.repetition_penalty must be > 0 (1 = off), got 0")]
    public void Float_sampling_fields_out_of_range_are_named_with_their_value(string field, float value, string message)
    {
        var sampling = new SamplingParams();
        SamplingParams.Descriptor.FindFieldByName(field).Accessor.SetValue(sampling, value);
        var error = Fails(Request(sampling: sampling));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(MocoErrors.FieldViolations(error));
        Assert.Equal(("sampling." + field, message), (violation.Field, violation.Description));
        Assert.Equal("INVALID_VALUE", MocoErrors.ErrorInfos(error)[0].Reason);
    }

    [Fact]
    public void Integer_fields_out_of_range_are_all_listed_at_once()
    {
        var request = Request(sampling: new SamplingParams { TopK = -1, MaxNewTokens = 0 });
        request.N = -1;
        request.Logprobs = new LogprobOptions { Enabled = true, TopK = 101, FullVocab = true, FullVocabDtype = DType.Bf16 };
        var error = Fails(request);
        Assert.Equal(["n", "sampling.top_k", "sampling.max_new_tokens", "logprobs.top_k", "logprobs.full_vocab_dtype"],
            MocoErrors.FieldViolations(error).Select(v => v.Field));
    }

    [Fact]
    public void Boundary_values_are_accepted()
    {
        var request = Request(sampling: new SamplingParams { Temperature = 0, TopP = 1, TopK = 0, MinP = 1, RepetitionPenalty = 0.01f, MaxNewTokens = 1 });
        request.N = Limits.MaxSamples;
        request.Logprobs = new LogprobOptions { Enabled = false, TopK = -5 };
        var effective = Prepare(request);
        Assert.True(effective.Greedy);
        Assert.Equal(Limits.MaxSamples, effective.Samples);
        Assert.Same(LogprobSettings.Off, effective.Logprobs);
    }

    [Fact]
    public void Unset_fields_take_generation_config_then_the_contract_defaults()
    {
        var effective = Prepare(Request(sampling: new SamplingParams { TopP = 0.5f }));
        var s = effective.Sampling;
        Assert.Equal((0.7f, 0.5f, 50, 0f, 1f, false, 10), (s.Temperature, s.TopP, s.TopK, s.MinP, s.RepetitionPenalty, s.DoSample, s.MaxNewTokens));
        Assert.True(effective.Greedy);
        Assert.Equal((1, 42UL), (effective.Samples, effective.Seed));
        var header = effective.Header("qwen");
        Assert.Equal((effective.Prompt.TokenIds.Count, 10, 0.5f, 50), (header.PromptTokens, header.MaxNewTokens, header.Effective.TopP, header.Effective.TopK));
    }

    [Fact]
    public void A_request_seed_wins_over_drawing_one()
    {
        var request = Request();
        request.Seed = 7;
        Assert.Equal(7UL, GenerateRequests.Prepare(request, Qwen, Limits, () => throw new InvalidOperationException("no draw")).Seed);
    }

    [Fact]
    public void Max_new_tokens_shrinks_to_the_room_the_prompt_leaves()
    {
        var prompt = Prepare(Request()).Prompt.TokenIds.Count;
        Assert.Equal(TextModels.Context - prompt, Prepare(Request(sampling: new SamplingParams { MaxNewTokens = 1000 })).Sampling.MaxNewTokens);
        Assert.Equal(5, Prepare(Request(sampling: new SamplingParams { MaxNewTokens = 5 })).Sampling.MaxNewTokens);
    }

    [Fact]
    public void A_prompt_filling_the_context_fits_with_no_room_and_a_longer_one_is_prompt_too_long()
    {
        var exactly = string.Concat(Enumerable.Repeat(" a", TextModels.Context));
        Assert.Equal(TextModels.Context, Prepare(Request(exactly)).Prompt.TokenIds.Count);
        Assert.Equal(0, Prepare(Request(exactly)).Sampling.MaxNewTokens);

        var error = Fails(Request(exactly + " a"));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(("prompt", "PROMPT_TOO_LONG"), (Assert.Single(MocoErrors.FieldViolations(error)).Field, MocoErrors.ErrorInfos(error)[0].Reason));
    }

    [Theory]
    [InlineData(EosStop.Unspecified, new[] { 50256, 50258 })]
    [InlineData(EosStop.EosSet, new[] { 50256, 50258 })]
    [InlineData(EosStop.GenerationConfig, new[] { 50256, 50258 })]
    [InlineData(EosStop.Tokenizer, new[] { 50258 })]
    [InlineData(EosStop.None, new int[0])]
    public void The_eos_set_follows_the_eos_mode(EosStop mode, int[] expected)
    {
        var settings = new InputSettings { Eos = mode, StopTokenIds = { 13 }, StopStrings = { "\n\n" }, IncludeStop = true };
        var stop = Prepare(Request(settings: settings)).Stop;
        Assert.Equal(expected, stop.EosIds);
        Assert.Equal([13], stop.StopTokenIds);
        Assert.Equal(["\n\n"], stop.StopStrings);
        Assert.True(stop.IncludeStop && stop.SkipSpecialTokens);
    }

    [Fact]
    public void Llama_eos_set_joins_the_tokenizer_and_generation_config_ids()
    {
        var llama = ModelText.Load(models.Dir("llama"));
        Assert.Equal([50260], StopConditions.Resolve(null, llama).EosIds);
        Assert.False(StopConditions.Resolve(new InputSettings { SkipSpecialTokens = false }, llama).SkipSpecialTokens);
    }

    [Fact]
    public void Bad_stop_ids_and_strings_are_named()
    {
        var settings = new InputSettings { StopTokenIds = { 5, 1_000_000 }, StopStrings = { "ok", "", new string('x', Limits.MaxStopStringLength + 1) } };
        var error = Fails(Request(settings: settings));
        Assert.Equal(["input_settings.stop_token_ids[1]", "input_settings.stop_strings[1]", "input_settings.stop_strings[2]"],
            MocoErrors.FieldViolations(error).Select(v => v.Field));
        Assert.Equal("BAD_TOKEN_ID", MocoErrors.ErrorInfos(error)[0].Reason);

        var many = new InputSettings();
        many.StopStrings.Add(Enumerable.Repeat("s", Limits.MaxStopStrings + 1));
        Assert.Equal("input_settings.stop_strings", Assert.Single(MocoErrors.FieldViolations(Fails(Request(settings: many)))).Field);
    }

    [Fact]
    public void A_missing_prompt_is_a_missing_field()
    {
        var error = Fails(new GenerateRequest { Model = "qwen" });
        Assert.Equal(("prompt", "MISSING_FIELD"), (Assert.Single(MocoErrors.FieldViolations(error)).Field, MocoErrors.ErrorInfos(error)[0].Reason));
        Assert.Equal("prompt", Assert.Single(MocoErrors.FieldViolations(Fails(Request("")))).Field);
    }

    [Fact]
    public void Chat_prompts_are_encoded_as_tokenize_encodes_them()
    {
        var request = new GenerateRequest { Model = "llama", Prompt = new Prompt { Chat = new ChatPrompt { Messages = { new ChatMessage { Role = "user", Content = "Hi" } } } } };
        var llama = ModelText.Load(models.Dir("llama"));
        var effective = GenerateRequests.Prepare(request, llama, Limits, () => 1);
        Assert.Equal(PromptEncoder.Encode(llama, "llama", request.Prompt, new PromptSettings(), "prompt").TokenIds, effective.Prompt.TokenIds);
        Assert.Equal(TextModels.LlamaBos, effective.Prompt.TokenIds[0]);
        Assert.NotEqual(TextModels.LlamaBos, effective.Prompt.TokenIds[1]);
    }

    [Fact]
    public void Logprob_options_take_their_defaults_when_enabled()
    {
        var request = Request();
        request.Logprobs = new LogprobOptions { Enabled = true, TopK = 5, Source = (LogprobSource)99 };
        var l = Prepare(request).Logprobs;
        Assert.Equal((true, 5, LogprobSource.Processed, LogprobValue.Logprob, DType.F32), (l.Enabled, l.TopK, l.Source, l.Value, l.FullVocabDtype));
    }

    [Fact]
    public void An_ensemble_takes_only_temperature_and_max_new_tokens()
    {
        var problems = new FieldProblems();
        SamplingValidation.CheckEnsemble(new SamplingParams { Temperature = 0.5f, MaxNewTokens = 4, TopK = 3, DoSample = true }, "sampling", problems);
        Assert.Equal(["sampling.top_k", "sampling.do_sample"], problems.All.Select(p => p.Field));
    }
}
